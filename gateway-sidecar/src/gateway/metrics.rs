//! The gateway's counters and their Prometheus text exposition. A handful of atomics, written out by hand:
//! a metrics crate would cost more memory and CPU per request than the counting itself. Names follow the
//! ones the JVM gateway exported; in-flight requests and the last request's time are what sleep/wake reads
//! to decide whether an agent is idle. `/health` is not counted: the kubelet's probes are not traffic.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use crate::clock;

#[derive(Default)]
pub struct Metrics {
    in_flight: AtomicI64,
    open_connections: AtomicI64,
    last_request_millis: AtomicI64,
    /// Responses by status class, 1xx to 5xx.
    responses: [AtomicU64; 5],
    duration_count: AtomicU64,
    duration_micros: AtomicU64,
    upstream_unreachable: AtomicU64,
    upstream_timeouts: AtomicU64,
    /// Requests and connections that ended; the memory trimmer looks at it to see whether anything freed.
    finished: AtomicU64,
    started: StartTime,
}

/// When the gateway started. A restarted gateway has forgotten its last request, so sleep/wake counts its
/// start as activity: a restart never makes a busy agent look idle.
struct StartTime(i64);

impl Default for StartTime {
    fn default() -> Self {
        StartTime(clock::now_millis())
    }
}

pub enum UpstreamError {
    Unreachable,
    Timeout,
}

impl Metrics {
    pub fn start_request(self: &Arc<Self>) -> RequestGuard {
        self.in_flight.fetch_add(1, Relaxed);
        self.last_request_millis.store(clock::now_millis(), Relaxed);
        RequestGuard {
            metrics: self.clone(),
            started: Instant::now(),
            status: 0,
        }
    }

    pub fn open_connection(self: &Arc<Self>) -> ConnectionGuard {
        self.open_connections.fetch_add(1, Relaxed);
        ConnectionGuard(self.clone())
    }

    pub fn upstream_error(&self, error: UpstreamError) {
        match error {
            UpstreamError::Unreachable => &self.upstream_unreachable,
            UpstreamError::Timeout => &self.upstream_timeouts,
        }
        .fetch_add(1, Relaxed);
    }

    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Relaxed)
    }

    pub fn finished(&self) -> u64 {
        self.finished.load(Relaxed)
    }

    pub fn render(&self, max_connections: usize) -> String {
        let mut text = String::with_capacity(2048);
        let mut gauge = |name: &str, help: &str, value: f64| {
            let _ = write!(
                text,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            );
        };
        gauge(
            "orch_gateway_inflight_requests",
            "Proxied requests being served, open WebSockets included.",
            self.in_flight.load(Relaxed) as f64,
        );
        gauge(
            "orch_gateway_last_request_timestamp_seconds",
            "Unix time a proxied request last started or ended; 0 before the first.",
            self.last_request_millis.load(Relaxed) as f64 / 1000.0,
        );
        gauge(
            "orch_gateway_start_timestamp_seconds",
            "Unix time the gateway started.",
            self.started.0 as f64 / 1000.0,
        );
        gauge(
            "orch_gateway_open_connections",
            "Client connections open now.",
            self.open_connections.load(Relaxed) as f64,
        );
        gauge(
            "orch_gateway_max_connections",
            "Client connections served at once; more wait in the accept queue.",
            max_connections as f64,
        );
        gauge(
            "process_resident_memory_bytes",
            "Resident memory of the gateway process.",
            resident_bytes() as f64,
        );
        let _ = write!(
            text,
            "# HELP orch_gateway_request_duration_seconds Time to answer a proxied request, to the end of its body.\n\
             # TYPE orch_gateway_request_duration_seconds summary\n\
             orch_gateway_request_duration_seconds_count {}\n\
             orch_gateway_request_duration_seconds_sum {}\n",
            self.duration_count.load(Relaxed),
            self.duration_micros.load(Relaxed) as f64 / 1e6
        );
        text.push_str("# HELP orch_gateway_responses_total Proxied responses by status class.\n");
        text.push_str("# TYPE orch_gateway_responses_total counter\n");
        for (class, count) in self.responses.iter().enumerate() {
            let _ = writeln!(
                text,
                "orch_gateway_responses_total{{code=\"{}xx\"}} {}",
                class + 1,
                count.load(Relaxed)
            );
        }
        text.push_str(
            "# HELP orch_gateway_upstream_errors_total Requests the agent did not answer.\n",
        );
        text.push_str("# TYPE orch_gateway_upstream_errors_total counter\n");
        for (kind, count) in [
            ("unreachable", &self.upstream_unreachable),
            ("timeout", &self.upstream_timeouts),
        ] {
            let _ = writeln!(
                text,
                "orch_gateway_upstream_errors_total{{kind=\"{kind}\"}} {}",
                count.load(Relaxed)
            );
        }
        text
    }
}

/// One proxied request, counted from its start until its response body is done or dropped (for a
/// WebSocket, until the tunnel closes).
pub struct RequestGuard {
    metrics: Arc<Metrics>,
    started: Instant,
    status: u16,
}

impl RequestGuard {
    pub fn answered(&mut self, status: u16) {
        self.status = status;
    }

    /// The agent went silent in the middle of the response body.
    pub fn timed_out(&self) {
        self.metrics.upstream_error(UpstreamError::Timeout);
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let metrics = &self.metrics;
        metrics.in_flight.fetch_sub(1, Relaxed);
        metrics.finished.fetch_add(1, Relaxed);
        metrics
            .last_request_millis
            .store(clock::now_millis(), Relaxed);
        metrics.duration_count.fetch_add(1, Relaxed);
        let micros = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        metrics.duration_micros.fetch_add(micros, Relaxed);
        if let Some(count) = metrics
            .responses
            .get(usize::from(self.status / 100).wrapping_sub(1))
        {
            count.fetch_add(1, Relaxed);
        }
    }
}

pub struct ConnectionGuard(Arc<Metrics>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.open_connections.fetch_sub(1, Relaxed);
        self.0.finished.fetch_add(1, Relaxed);
    }
}

fn resident_bytes() -> u64 {
    // statm's second field is resident pages; the gateway's targets use 4 KiB pages.
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_counts_while_its_guard_lives() {
        let metrics = Arc::new(Metrics::default());
        let mut request = metrics.start_request();
        assert_eq!(metrics.in_flight(), 1);
        assert!(
            metrics
                .render(10)
                .contains("orch_gateway_inflight_requests 1\n")
        );
        request.answered(204);
        drop(request);
        let _unanswered = metrics.start_request();
        metrics.upstream_error(UpstreamError::Timeout);
        let text = metrics.render(10);
        assert!(
            text.contains("orch_gateway_inflight_requests 1\n"),
            "{text}"
        );
        assert!(
            text.contains("orch_gateway_responses_total{code=\"2xx\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("orch_gateway_request_duration_seconds_count 1\n"),
            "{text}"
        );
        assert!(
            text.contains("orch_gateway_upstream_errors_total{kind=\"timeout\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("orch_gateway_max_connections 10\n"), "{text}");
        let last: f64 = text
            .lines()
            .find_map(|line| line.strip_prefix("orch_gateway_last_request_timestamp_seconds "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((clock::now_millis() as f64 / 1000.0 - last).abs() < 5.0);
        let started: f64 = text
            .lines()
            .find_map(|line| line.strip_prefix("orch_gateway_start_timestamp_seconds "))
            .unwrap()
            .parse()
            .unwrap();
        assert!((clock::now_millis() as f64 / 1000.0 - started).abs() < 5.0);
    }
}
