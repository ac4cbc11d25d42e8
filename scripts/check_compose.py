"""Checks a docker-compose file without a container runtime.

    python check_compose.py [FILE] [--project-directory DIR]

FILE defaults to docker-compose.yaml at the repository root; relative paths in it
(build contexts, bind mounts) are resolved against DIR, which defaults to FILE's
folder, as `docker compose` does. Parses the file with PyYAML (as YAML 1.2 reads
it: `22:22` is a string, not a base-60 number; a repeated key is an error), then
checks its structure: services, images or build contexts, depends_on targets and
conditions, healthchecks, ports, commands, environments and bind mounts. Where
`docker compose` itself works, `docker compose config -q` is run on the file too.
Prints what it checked; exits 1 on any failure, saying what is wrong.
"""

import argparse
import ipaddress
import os
import re
import subprocess
import sys

import yaml

TOP_LEVEL_KEYS = {"version", "name", "services", "networks", "volumes", "configs", "secrets", "include"}
SERVICE_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]*$")
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
PORT_PART = r"(\d+)(?:-(\d+))?"
# [[IP:]HOST:]CONTAINER[/PROTOCOL]; IP may be an IPv6 address in brackets.
PORT_SHORT = re.compile(
    rf"^(?:(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?P<host>{PORT_PART})?:)?"
    rf"(?P<container>{PORT_PART})(?:/(?P<proto>tcp|udp|sctp))?$"
)


class Loader(yaml.SafeLoader):
    """SafeLoader that reads scalars as YAML 1.2 (and so docker compose) does where
    it matters here, and refuses repeated keys, which compose refuses too."""


# Drop YAML 1.1's base-60 integers and floats (`22:22` -> 1342): compose reads strings.
Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern in [
    ("tag:yaml.org,2002:int", r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
]:
    Loader.add_implicit_resolver(_tag, re.compile(_pattern), list("-+0123456789."))


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r} (first at line {seen[key].line + 1})", key_node.start_mark)
        seen[key] = key_node.start_mark
    return loader.construct_mapping(node, deep=deep)


Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Checker:
    def __init__(self, path, project_dir):
        self.path = path
        self.project_dir = project_dir
        self.errors = []

    def error(self, where, message):
        self.errors.append(f"{where}: {message}")

    def check(self, doc):
        if not isinstance(doc, dict):
            self.error("top level", f"must be a mapping, found {type(doc).__name__}")
            return
        for key in doc:
            if key not in TOP_LEVEL_KEYS and not str(key).startswith("x-"):
                self.error("top level", f"unknown key {key!r}")
        services = doc.get("services")
        if not isinstance(services, dict) or not services:
            self.error("top level", "`services` must be a non-empty mapping")
            return
        print(f"  top level: services mapping with {len(services)} services")
        for name, service in services.items():
            where = f"services.{name}"
            if not isinstance(name, str) or not SERVICE_NAME.match(name):
                self.error(where, "service names are letters, digits, '.', '_' and '-'")
            if not isinstance(service, dict):
                self.error(where, f"must be a mapping, found {type(service).__name__}")
                print(f"  FAIL {name}: not a mapping")
                continue
            errors_before = len(self.errors)
            done = [self.check_source(where, service)]
            done += [self.check_depends_on(where, name, service, services)]
            done += [self.check_healthcheck(where, service)]
            done += [self.check_ports(where, service)]
            done += [self.check_strings(where, service, "command"),
                     self.check_strings(where, service, "entrypoint")]
            done += [self.check_environment(where, service)]
            done += [self.check_volumes(where, service)]
            status = "ok  " if len(self.errors) == errors_before else "FAIL"
            print(f"  {status} {name}: " + "; ".join(d for d in done if d))
        self.check_published_ports(services)
        self.check_cycles(services)
        sys.stdout.flush()

    def check_source(self, where, service):
        image, build = service.get("image"), service.get("build")
        if image is None and build is None:
            self.error(where, "has neither `image` nor `build`")
            return None
        said = []
        if image is not None:
            if not isinstance(image, str) or not image.strip():
                self.error(where, "`image` must be a non-empty string")
            said.append(f"image {image}")
        if build is not None:
            if isinstance(build, str):
                context, dockerfile = build, "Dockerfile"
            elif isinstance(build, dict):
                context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
                if "dockerfile_inline" in build:
                    dockerfile = None
            else:
                self.error(where, "`build` must be a path or a mapping")
                return None
            if not isinstance(context, str) or (dockerfile is not None and not isinstance(dockerfile, str)):
                self.error(where, "`build.context` and `build.dockerfile` must be strings")
                return None
            if re.match(r"^(https?|git|ssh)://|^git@", context):
                said.append(f"build {context} (remote, not checked)")
            else:
                context_dir = os.path.normpath(os.path.join(self.project_dir, context))
                if not os.path.isdir(context_dir):
                    self.error(where, f"build context {context!r} is not a folder ({context_dir})")
                elif dockerfile is not None and not os.path.isfile(os.path.join(context_dir, dockerfile)):
                    self.error(where, f"build context {context!r} has no {dockerfile}")
                said.append(f"build {context} ({dockerfile or 'inline Dockerfile'})")
        return ", ".join(said)

    def check_depends_on(self, where, name, service, services):
        depends_on = service.get("depends_on")
        if depends_on is None:
            return None
        if isinstance(depends_on, list):
            targets = {}
            for target in depends_on:
                if not isinstance(target, str):
                    self.error(where, f"depends_on entries must be service names, found {target!r}")
                    continue
                targets[target] = "service_started"
        elif isinstance(depends_on, dict):
            targets = {}
            for target, spec in depends_on.items():
                if spec is None:
                    spec = {}
                if not isinstance(spec, dict):
                    self.error(where, f"depends_on.{target} must be a mapping with `condition`, found {spec!r}")
                    continue
                unknown = set(spec) - {"condition", "restart", "required"}
                if unknown:
                    self.error(where, f"depends_on.{target} has unknown keys {sorted(unknown)}")
                condition = spec.get("condition", "service_started")
                if condition not in CONDITIONS:
                    self.error(where, f"depends_on.{target}: condition {condition!r} is not one of "
                                      + ", ".join(sorted(CONDITIONS)))
                    continue
                targets[target] = condition
        else:
            self.error(where, "`depends_on` must be a list or a mapping")
            return None
        for target, condition in targets.items():
            if target == name:
                self.error(where, "depends on itself")
            elif target not in services:
                self.error(where, f"depends_on names {target!r}, which is not a service")
            elif condition == "service_healthy" and not has_healthcheck(services[target]):
                self.error(where, f"waits for {target!r} to be healthy, and {target!r} has no healthcheck")
        return "depends_on " + ", ".join(f"{t} ({c})" for t, c in targets.items())

    def check_healthcheck(self, where, service):
        healthcheck = service.get("healthcheck")
        if healthcheck is None:
            return None
        if not isinstance(healthcheck, dict):
            self.error(where, "`healthcheck` must be a mapping")
            return None
        if healthcheck.get("disable"):
            return "healthcheck disabled"
        test = healthcheck.get("test")
        if isinstance(test, str):
            ok = bool(test.strip())
        elif isinstance(test, list):
            ok = (bool(test) and all(isinstance(t, str) for t in test)
                  and test[0] in ("NONE", "CMD", "CMD-SHELL") and (test[0] == "NONE" or len(test) > 1))
        else:
            ok = False
        if not ok:
            self.error(where, "healthcheck.test must be a command string or "
                              '["CMD", ...] / ["CMD-SHELL", "..."] / ["NONE"]')
        return "healthcheck"

    def check_ports(self, where, service):
        ports = service.get("ports")
        if ports is None:
            return None
        if not isinstance(ports, list):
            self.error(where, "`ports` must be a list")
            return None
        shown = []
        for port in ports:
            parsed = parse_port(port)
            if parsed is None:
                self.error(where, f"port {port!r} is not N, \"HOST:CONTAINER\" or \"IP:HOST:CONTAINER\" "
                                  "(ports 1-65535; quote them: YAML reads some unquoted ones as numbers)")
                continue
            shown.append(str(port) if not isinstance(port, dict) else f"{port.get('published')}:{port.get('target')}")
        return "ports " + ", ".join(shown) if shown else "ports (none)"

    def check_published_ports(self, services):
        published = []  # (ip, host port, protocol, service, as written)
        for name, service in services.items():
            if not isinstance(service, dict) or not isinstance(service.get("ports"), list):
                continue
            for port in service["ports"]:
                parsed = parse_port(port)
                if parsed is None:
                    continue
                ip, hosts, protocol = parsed
                for host in hosts:
                    for other in published:
                        same_ip = ip == other[0] or ip in ("", "0.0.0.0", "::") or other[0] in ("", "0.0.0.0", "::")
                        if same_ip and host == other[1] and protocol == other[2]:
                            self.error(f"services.{name}",
                                       f"publishes host port {host}/{protocol} ({port!r}), "
                                       f"which {other[3]} publishes too ({other[4]!r})")
                    published.append((ip, host, protocol, name, port))
        hosts = sorted({p[1] for p in published})
        print(f"  published host ports: {', '.join(map(str, hosts)) or 'none'}")

    def check_strings(self, where, service, key):
        value = service.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return f"{key} string"
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return f"{key} list of {len(value)} strings"
        self.error(where, f"`{key}` must be a string or a list of strings, found {value!r}")
        return None

    def check_environment(self, where, service):
        environment = service.get("environment")
        if environment is None:
            return None
        if isinstance(environment, dict):
            for key, value in environment.items():
                if not isinstance(key, str) or not key:
                    self.error(where, f"environment key {key!r} must be a name")
                if value is not None and not isinstance(value, (str, int, float, bool)):
                    self.error(where, f"environment.{key} must be a string, number or boolean")
            return f"environment mapping of {len(environment)}"
        if isinstance(environment, list):
            for entry in environment:
                if not isinstance(entry, str) or not entry or entry.startswith("="):
                    self.error(where, f"environment entry {entry!r} must be \"NAME=value\" or \"NAME\"")
            return f"environment list of {len(environment)}"
        self.error(where, "`environment` must be a mapping or a list")
        return None

    def check_volumes(self, where, service):
        volumes = service.get("volumes")
        if volumes is None:
            return None
        if not isinstance(volumes, list):
            self.error(where, "`volumes` must be a list")
            return None
        for volume in volumes:
            if isinstance(volume, str):
                source = volume.split(":")[0] if ":" in volume else None
            elif isinstance(volume, dict):
                source = volume.get("source") if volume.get("type") == "bind" else None
            else:
                self.error(where, f"volume {volume!r} must be a string or a mapping")
                continue
            if source and source.startswith("."):
                if not os.path.exists(os.path.join(self.project_dir, source)):
                    self.error(where, f"bind mount source {source!r} does not exist")
        return f"{len(volumes)} volume(s)"

    def check_cycles(self, services):
        def targets(name):
            depends_on = services.get(name, {}).get("depends_on") if isinstance(services.get(name), dict) else None
            if isinstance(depends_on, (list, dict)):
                return [t for t in depends_on if isinstance(t, str) and t in services]
            return []

        state = {}

        def visit(name, path):
            if state.get(name) == "done":
                return
            if state.get(name) == "open":
                self.error("depends_on", "cycle: " + " -> ".join(path[path.index(name):] + [name]))
                return
            state[name] = "open"
            for target in targets(name):
                visit(target, path + [name])
            state[name] = "done"

        for name in services:
            visit(name, [])


def has_healthcheck(service):
    if not isinstance(service, dict):
        return False
    healthcheck = service.get("healthcheck")
    return isinstance(healthcheck, dict) and not healthcheck.get("disable") and healthcheck.get("test") not in (
        None, ["NONE"])


def valid_port(text):
    return text is not None and 1 <= int(text) <= 65535


def parse_port(port):
    """(host IP or "", [host ports], protocol) for a valid port entry, else None."""
    if isinstance(port, bool):
        return None
    if isinstance(port, int):
        return ("", [], "tcp") if 1 <= port <= 65535 else None
    if isinstance(port, dict):  # long syntax
        target, published = port.get("target"), port.get("published")
        protocol = port.get("protocol", "tcp")
        if not isinstance(target, int) or not 1 <= target <= 65535 or protocol not in ("tcp", "udp", "sctp"):
            return None
        if published is None:
            return (str(port.get("host_ip", "")), [], protocol)
        match = re.fullmatch(PORT_PART, str(published))
        if not match or not all(valid_port(p) for p in match.groups() if p):
            return None
        first, last = int(match[1]), int(match[2] or match[1])
        return (str(port.get("host_ip", "")), list(range(first, last + 1)), protocol)
    if not isinstance(port, str):
        return None
    match = PORT_SHORT.match(port)
    if not match:
        return None
    numbers = [g for g in match.group(3, 4, 6, 7) if g]  # host from/to, container from/to
    if not all(valid_port(n) for n in numbers):
        return None
    ip = match["ip"] or ""
    if ip:
        try:
            ipaddress.ip_address(ip.strip("[]"))
        except ValueError:
            return None
    if match["host"] is None:
        return (ip, [], match["proto"] or "tcp")
    first, last = int(match.group(3)), int(match.group(4) or match.group(3))
    c_first, c_last = int(match.group(6)), int(match.group(7) or match.group(6))
    if last < first or c_last < c_first or (c_last - c_first not in (0, last - first)):
        return None
    return (ip, list(range(first, last + 1)), match["proto"] or "tcp")


def docker_compose_config(path, project_dir):
    """Runs `docker compose config -q` where the compose plugin works; None if it cannot run."""
    try:
        version = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None, "no docker client"
    if version.returncode != 0:
        return None, "`docker compose version` fails: the compose plugin is missing"
    try:
        config = subprocess.run(
            ["docker", "compose", "--project-directory", project_dir, "-f", path, "config", "-q"],
            capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return None, "`docker compose config` took longer than 30s"
    return config.returncode == 0, (config.stderr or config.stdout).strip()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description="Checks a docker-compose file's syntax and structure.")
    parser.add_argument("file", nargs="?", default=os.path.join(root, "docker-compose.yaml"))
    parser.add_argument("--project-directory", help="where relative paths point (default: the file's folder)")
    args = parser.parse_args()
    path = os.path.abspath(args.file)
    project_dir = os.path.abspath(args.project_directory or os.path.dirname(path))

    print(f"checking {path} (relative paths from {project_dir})")
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.load(f, Loader=Loader)  # noqa: S506 (a SafeLoader subclass)
    except OSError as e:
        print(f"FAIL: cannot read {path}: {e}", file=sys.stderr)
        return 1
    except yaml.YAMLError as e:
        sys.stdout.flush()
        print(f"FAIL: {os.path.basename(path)} is not valid YAML:\n{e}", file=sys.stderr)
        return 1
    print("  parses as YAML (PyYAML %s, no repeated keys)" % yaml.__version__)

    checker = Checker(path, project_dir)
    checker.check(doc)
    if checker.errors:
        print(f"FAIL: {os.path.basename(path)} has {len(checker.errors)} problem(s):", file=sys.stderr)
        for error in checker.errors:
            print(f"  - {error}", file=sys.stderr)
        return 1

    ok, note = docker_compose_config(path, project_dir)
    if ok is None:
        print(f"  docker compose config: skipped, {note}")
    elif ok:
        print("  docker compose config -q: ok")
    else:
        print(f"FAIL: docker compose config -q rejects {os.path.basename(path)}:\n{note}", file=sys.stderr)
        return 1
    print(f"ok: {os.path.basename(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
