//! `GET /_larkfeed/metrics`: what a shared deployment's Prometheus scrapes. Open API calls by
//! endpoint and code and their latencies, deliveries to apps by kind, way and outcome, the long
//! connections open now, the sizes of the store's group commits (SQLite), and whether the
//! database answers. Counted with `prometheus-client` in a registry of this server's own (tests
//! run several servers in one process), written in the OpenMetrics text format Prometheus reads.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Call {
    endpoint: &'static str,
    code: i64,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Endpoint {
    endpoint: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Delivery {
    kind: &'static str,
    via: &'static str,
    outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    calls: Family<Call, Counter>,
    latency: Family<Endpoint, Histogram, fn() -> Histogram>,
    deliveries: Family<Delivery, Counter>,
    long_connections: Gauge,
    database_up: Gauge,
    /// The server's own tenant only: how many tenants made at run time are open here.
    tenants: Option<Gauge>,
}

fn latency_buckets() -> Histogram {
    // 0.1 ms to about 3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

impl Metrics {
    /// `commit_batches`: the store's group commit sizes, when it groups them; `own`: the
    /// server's own tenant, which also counts the tenants made at run time.
    pub fn new(commit_batches: Option<Histogram>, own: bool) -> Metrics {
        let mut registry = Registry::with_prefix("larkfeed");
        let calls = Family::<Call, Counter>::default();
        registry.register(
            "requests",
            "Open API calls answered, by endpoint (its name in the endpoint description, \
             `unknown` for a path none has) and the answer's code",
            calls.clone(),
        );
        let latency = Family::<Endpoint, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        registry.register_with_unit(
            "request_duration",
            "Time to answer an Open API call, by endpoint",
            Unit::Seconds,
            latency.clone(),
        );
        let deliveries = Family::<Delivery, Counter>::default();
        registry.register(
            "deliveries",
            "Attempts to deliver an event or a callback to an app, by kind, way (http or \
             long_connection) and outcome (delivered or failed)",
            deliveries.clone(),
        );
        let long_connections = Gauge::default();
        registry.register(
            "long_connections",
            "The apps' long connections (WebSocket) open now",
            long_connections.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "1 when the database answered the scrape's check within 3 s, else 0",
            database_up.clone(),
        );
        if let Some(batches) = commit_batches {
            registry.register(
                "store_commit_batch_size",
                "Writes committed together in one transaction by the SQLite writer",
                batches,
            );
        }
        let tenants = own.then(|| {
            let tenants = Gauge::default();
            registry.register(
                "tenants",
                "Tenants made at run time (POST /_larkfeed/tenants) this instance serves now",
                tenants.clone(),
            );
            tenants
        });
        Metrics {
            registry,
            calls,
            latency,
            deliveries,
            long_connections,
            database_up,
            tenants,
        }
    }

    /// One Open API call answered with `code` (none when the answer had no envelope) after
    /// `seconds`.
    pub fn request(&self, endpoint: &'static str, code: Option<i64>, seconds: f64) {
        let code = code.unwrap_or(-1);
        self.calls.get_or_create(&Call { endpoint, code }).inc();
        self.latency
            .get_or_create(&Endpoint { endpoint })
            .observe(seconds);
    }

    /// One attempt to deliver to an app.
    pub fn delivery(&self, kind: &'static str, via: &'static str, delivered: bool) {
        let outcome = if delivered { "delivered" } else { "failed" };
        self.deliveries
            .get_or_create(&Delivery { kind, via, outcome })
            .inc();
    }

    /// The text a scrape reads, with the gauges read now.
    pub fn render(&self, long_connections: usize, database_up: bool, tenants: usize) -> String {
        self.long_connections
            .set(i64::try_from(long_connections).unwrap_or(i64::MAX));
        self.database_up.set(i64::from(database_up));
        if let Some(gauge) = &self.tenants {
            gauge.set(i64::try_from(tenants).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        if let Err(e) = encode(&mut text, &self.registry) {
            tracing::error!(error = %e, "the metrics could not be written");
        }
        text
    }
}

/// The OpenMetrics text `render` writes, in Prometheus' classic text format (0.0.4), for a
/// scraper that does not ask for OpenMetrics: a counter's family takes its samples' `_total`
/// name, and the `# UNIT` and `# EOF` lines, which that format lacks, are left out.
pub fn classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| Some((p, line.strip_prefix(p)?)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if counters.contains(name) {
                    out.push_str(&format!("{prefix}{name}_total {tail}"));
                } else {
                    out.push_str(line);
                }
            }
            None => {
                let name = line.split(['{', ' ']).next().unwrap_or("");
                let family = name.strip_suffix("_created").unwrap_or("");
                if counters.contains(family) {
                    continue; // a counter's creation time: OpenMetrics only
                }
                out.push_str(line);
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_text_names_counters_by_their_samples_and_has_no_openmetrics_lines() {
        let metrics = Metrics::new(None, true);
        metrics.request("messages.send", Some(0), 0.002);
        let classic = classic_text(&metrics.render(1, true, 0));
        assert!(
            classic.contains("# TYPE larkfeed_requests_total counter\n"),
            "{classic}"
        );
        assert!(classic.contains("# HELP larkfeed_requests_total Open API calls"));
        assert!(classic.contains(r#"larkfeed_requests_total{endpoint="messages.send",code="0"} 1"#));
        assert!(classic.contains("# TYPE larkfeed_request_duration_seconds histogram\n"));
        assert!(classic.contains("# TYPE larkfeed_long_connections gauge\n"));
        assert!(
            !classic.contains("# UNIT") && !classic.contains("# EOF"),
            "{classic}"
        );
    }

    #[test]
    fn counts_show_in_the_text_with_their_labels() {
        let batches = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        let metrics = Metrics::new(Some(batches.clone()), true);
        metrics.request("messages.send", Some(0), 0.002);
        metrics.request("messages.send", Some(0), 0.004);
        metrics.request("messages.send", Some(230001), 0.001);
        metrics.delivery("event", "http", false);
        batches.observe(3.0);
        let text = metrics.render(2, true, 3);
        assert!(
            text.contains(r#"larkfeed_requests_total{endpoint="messages.send",code="0"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"code="230001"} 1"#), "{text}");
        assert!(
            text.contains(r#"larkfeed_request_duration_seconds_count{endpoint="messages.send"} 3"#)
        );
        assert!(text
            .contains(r#"larkfeed_deliveries_total{kind="event",via="http",outcome="failed"} 1"#));
        assert!(text.contains("larkfeed_long_connections 2"), "{text}");
        assert!(text.contains("larkfeed_database_up 1"), "{text}");
        assert!(text.contains("larkfeed_tenants 3"), "{text}");
        assert!(
            text.contains("larkfeed_store_commit_batch_size_count 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
