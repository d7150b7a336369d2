//! Prometheus metrics (`GET /metrics`, OpenMetrics text): requests, tickets, events, timers,
//! actions and webhook deliveries counted by this instance, and the database's queue sizes read at
//! each scrape.

use crate::engine::{Action, action_kind};
use crate::store::{Store, millis};
use axum::http::StatusCode;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// This instance's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Family<Labels, Histogram, fn() -> Histogram>,
    pub(crate) opened: Counter,
    events: Family<Labels, Counter>,
    pub(crate) advanced: Counter,
    actions: Family<Labels, Counter>,
    deliveries: Family<Labels, Counter>,
    open_tickets: Gauge,
    due_tickets: Gauge,
    pending_deliveries: Gauge,
    dead_deliveries: Gauge,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<Labels, Counter>::default();
        let latency = Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        let (opened, advanced) = (Counter::default(), Counter::default());
        let (events, actions, deliveries) =
            (Family::default(), Family::default(), Family::default());
        let (open_tickets, due_tickets) = (Gauge::default(), Gauge::default());
        let (pending_deliveries, dead_deliveries) = (Gauge::default(), Gauge::default());
        let mut r = Registry::with_prefix("ombud");
        r.register("http_requests", "HTTP requests by route, method and status", requests.clone());
        r.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        r.register("tickets_opened", "Tickets opened", opened.clone());
        r.register("events", "Events by result: accepted, refused, repeated", events.clone());
        r.register("timers_fired", "Tickets advanced by the timers", advanced.clone());
        r.register("actions", "Actions produced, by kind", actions.clone());
        r.register(
            "webhook_deliveries",
            "Delivery attempts by result: delivered, failed, dead",
            deliveries.clone(),
        );
        r.register("open_tickets", "Open tickets in the database", open_tickets.clone());
        r.register("due_tickets", "Tickets whose timer is due", due_tickets.clone());
        r.register("pending_deliveries", "Webhook deliveries waiting", pending_deliveries.clone());
        r.register(
            "dead_deliveries",
            "Webhook deliveries given up (dead letters)",
            dead_deliveries.clone(),
        );
        Metrics {
            registry: r,
            requests,
            latency,
            opened,
            events,
            advanced,
            actions,
            deliveries,
            open_tickets,
            due_tickets,
            pending_deliveries,
            dead_deliveries,
        }
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

impl Metrics {
    /// Counts one request.
    pub(crate) fn request(&self, route: &str, method: &str, status: StatusCode, seconds: f64) {
        let status = status.as_u16().to_string();
        self.requests
            .get_or_create(&labels(&[("route", route), ("method", method), ("status", &status)]))
            .inc();
        self.latency.get_or_create(&labels(&[("route", route)])).observe(seconds);
    }

    /// Counts one event answer (`fresh`: not a repeat of an earlier one).
    pub(crate) fn event(&self, status: StatusCode, fresh: bool) {
        let result = match (fresh, status.is_success()) {
            (false, _) => "repeated",
            (true, true) => "accepted",
            (true, false) => "refused",
        };
        self.events.get_or_create(&labels(&[("result", result)])).inc();
    }

    /// Counts actions by kind.
    pub(crate) fn actions(&self, actions: &[Action]) {
        for a in actions {
            self.actions.get_or_create(&labels(&[("kind", &action_kind(a))])).inc();
        }
    }

    /// Counts one delivery attempt's result.
    pub(crate) fn delivery(&self, result: &str) {
        self.deliveries.get_or_create(&labels(&[("result", result)])).inc();
    }

    /// The metrics as OpenMetrics text, with the database's counts read now.
    pub(crate) async fn render(&self, store: &Store) -> Result<String, sqlx::Error> {
        let now = millis(chrono::Utc::now());
        let (open, due): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(CASE WHEN closed = 0 THEN 1 END), \
             COUNT(CASE WHEN next_wakeup_ms <= $1 THEN 1 END) FROM tickets",
        )
        .bind(now)
        .fetch_one(&store.read)
        .await?;
        let (pending, dead): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(CASE WHEN status = 'pending' THEN 1 END), \
             COUNT(CASE WHEN status = 'dead' THEN 1 END) FROM outbox",
        )
        .fetch_one(&store.read)
        .await?;
        self.open_tickets.set(open);
        self.due_tickets.set(due);
        self.pending_deliveries.set(pending);
        self.dead_deliveries.set(dead);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        Ok(out)
    }
}
