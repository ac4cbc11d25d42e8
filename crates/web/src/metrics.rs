//! Prometheus text metrics without a metrics crate: counters, gauges and
//! histograms in one process-wide registry, rendered at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

/// Upper bounds (seconds) of the latency histograms.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Registry {
    help: BTreeMap<&'static str, (&'static str, &'static str)>,
    counters: BTreeMap<(&'static str, Labels), f64>,
    gauges: BTreeMap<(&'static str, Labels), f64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Mutex::default)
}

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = registry()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    f(&mut guard)
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

pub fn inc(name: &'static str, help: &'static str, pairs: &[(&'static str, &str)]) {
    with(|r| {
        r.help.entry(name).or_insert(("counter", help));
        *r.counters.entry((name, labels(pairs))).or_default() += 1.0;
    });
}

pub fn set(name: &'static str, help: &'static str, pairs: &[(&'static str, &str)], value: f64) {
    with(|r| {
        r.help.entry(name).or_insert(("gauge", help));
        r.gauges.insert((name, labels(pairs)), value);
    });
}

pub fn observe(
    name: &'static str,
    help: &'static str,
    pairs: &[(&'static str, &str)],
    seconds: f64,
) {
    with(|r| {
        r.help.entry(name).or_insert(("histogram", help));
        let h = r.histograms.entry((name, labels(pairs))).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    });
}

fn label_text(labels: &Labels, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// The whole registry in Prometheus text format 0.0.4.
pub fn render() -> String {
    with(|r| {
        let mut out = String::new();
        for (name, (kind, help)) in &r.help {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for ((n, l), v) in r.counters.iter().chain(r.gauges.iter()) {
                if n == name {
                    let _ = writeln!(out, "{name}{} {v}", label_text(l, None));
                }
            }
            for ((n, l), h) in &r.histograms {
                if n != name {
                    continue;
                }
                for (bound, count) in BUCKETS.iter().zip(h.counts) {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {count}",
                        label_text(l, Some(("le", bound.to_string())))
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    label_text(l, Some(("le", "+Inf".into()))),
                    h.count
                );
                let _ = writeln!(out, "{name}_sum{} {}", label_text(l, None), h.sum);
                let _ = writeln!(out, "{name}_count{} {}", label_text(l, None), h.count);
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms_in_prometheus_text() {
        inc("test_things_total", "Things.", &[("kind", "a")]);
        inc("test_things_total", "Things.", &[("kind", "a")]);
        observe(
            "test_latency_seconds",
            "Latency.",
            &[("route", "/x")],
            0.003,
        );
        let text = render();
        assert!(text.contains("# TYPE test_things_total counter"));
        assert!(text.contains("test_things_total{kind=\"a\"} 2"));
        assert!(text.contains("test_latency_seconds_bucket{route=\"/x\",le=\"0.005\"} 1"));
        assert!(text.contains("test_latency_seconds_bucket{route=\"/x\",le=\"0.001\"} 0"));
        assert!(text.contains("test_latency_seconds_count{route=\"/x\"} 1"));
    }
}
