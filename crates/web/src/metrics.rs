//! Prometheus metrics through the `metrics` facade: each metric is a static
//! naming itself and its help text, recorded by metrics-exporter-prometheus
//! and rendered by our own `GET /metrics` handler (no listener of its own).
//! Recording takes no lock of ours: the exporter's registry is sharded.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Upper bounds (seconds) of the latency histograms.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide recorder, installed on first use.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; ours then records nothing.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        handle
    })
}

/// Labels as the facade takes them.
fn labels(pairs: &[(&'static str, &str)]) -> Vec<metrics::Label> {
    pairs
        .iter()
        .map(|(k, v)| metrics::Label::new(*k, (*v).to_owned()))
        .collect()
}

/// A metric: its name, help text and kind; described to the recorder once.
pub struct Metric {
    name: &'static str,
    help: &'static str,
    described: OnceLock<()>,
}

impl Metric {
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            described: OnceLock::new(),
        }
    }

    fn describe(&self, describe: impl FnOnce(&'static str, &'static str)) {
        handle();
        self.described
            .get_or_init(|| describe(self.name, self.help));
    }

    /// Adds one to the counter with these labels.
    pub fn inc(&self, pairs: &[(&'static str, &str)]) {
        self.describe(|n, h| metrics::describe_counter!(n, h));
        metrics::counter!(self.name, labels(pairs)).increment(1);
    }

    /// Sets the gauge with these labels.
    pub fn set(&self, pairs: &[(&'static str, &str)], value: f64) {
        self.describe(|n, h| metrics::describe_gauge!(n, h));
        metrics::gauge!(self.name, labels(pairs)).set(value);
    }

    /// Records one observation (seconds) in the histogram with these labels.
    pub fn observe(&self, pairs: &[(&'static str, &str)], seconds: f64) {
        self.describe(|n, h| metrics::describe_histogram!(n, h));
        metrics::histogram!(self.name, labels(pairs)).record(seconds);
    }
}

/// Everything recorded, in Prometheus text format 0.0.4.
pub fn render() -> String {
    handle().render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms_in_prometheus_text() {
        static THINGS: Metric = Metric::new("test_things_total", "Things.");
        static LATENCY: Metric = Metric::new("test_latency_seconds", "Latency.");
        THINGS.inc(&[("kind", "a")]);
        THINGS.inc(&[("kind", "a")]);
        LATENCY.observe(&[("route", "/x")], 0.003);
        let text = render();
        assert!(text.contains("# TYPE test_things_total counter"), "{text}");
        assert!(text.contains("# HELP test_things_total Things."), "{text}");
        assert!(text.contains("test_things_total{kind=\"a\"} 2"), "{text}");
        assert!(text.contains("test_latency_seconds_bucket{route=\"/x\",le=\"0.005\"} 1"));
        assert!(text.contains("test_latency_seconds_bucket{route=\"/x\",le=\"0.001\"} 0"));
        assert!(text.contains("test_latency_seconds_count{route=\"/x\"} 1"));
    }
}
