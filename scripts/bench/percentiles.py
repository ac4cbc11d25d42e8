"""Reads pgbench -l logs (per-transaction latency in column 3, microseconds) and
prints p50/p95/p99/max in milliseconds as `key=value` pairs."""
import glob
import sys

values = []
for path in glob.glob(sys.argv[1] + "*"):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2].isdigit():
                values.append(int(parts[2]))
values.sort()


def pct(p):
    return values[min(len(values) - 1, int(len(values) * p / 100))] / 1000 if values else 0.0


print(f"p50_ms={pct(50):.2f} p95_ms={pct(95):.2f} p99_ms={pct(99):.2f} max_ms={values[-1] / 1000 if values else 0:.2f}")
