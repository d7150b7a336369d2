//! The webhook sink of a load run: a receiver on 127.0.0.1 that checks each request's
//! signature against the webhook's secret and records every delivery by its id. It answers 500
//! to the first attempt of a share of the deliveries, so retries run under the load too.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// One delivery id as the sink saw it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Delivery {
    /// The body of the first attempt.
    pub(crate) body: Bytes,
    /// Attempts received.
    pub(crate) attempts: u32,
    /// Attempts answered 200.
    pub(crate) accepted: u32,
    /// Attempts whose body differed from the first one's.
    pub(crate) changed: u32,
}

/// What the sink received.
#[derive(Debug, Default)]
pub(crate) struct Received {
    /// By delivery id.
    pub(crate) deliveries: HashMap<String, Delivery>,
    /// Requests whose signature did not match (answered 401, not recorded).
    pub(crate) bad_signatures: u64,
    /// Requests without a delivery id.
    pub(crate) without_id: u64,
    /// First attempts answered 500 on purpose.
    pub(crate) failed_on_purpose: u64,
}

/// A running sink.
pub(crate) struct Sink {
    pub(crate) url: String,
    pub(crate) received: Arc<Mutex<Received>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

struct Setup {
    secret: String,
    /// Share of delivery ids whose first attempt is answered 500, in 1/1000.
    fail_per_mille: u64,
    received: Arc<Mutex<Received>>,
}

impl Sink {
    /// Starts a sink on a free port of 127.0.0.1 for a webhook signed with `secret`.
    pub(crate) async fn start(secret: &str, fail_share: f64) -> Result<Sink, String> {
        let received = Arc::new(Mutex::new(Received::default()));
        let setup = Arc::new(Setup {
            secret: secret.to_string(),
            fail_per_mille: (fail_share.clamp(0.0, 1.0) * 1000.0) as u64,
            received: received.clone(),
        });
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let setup = setup.clone();
                async move { receive(&setup, &headers, body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("the webhook sink cannot listen: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                eprintln!("error: webhook sink: {e}");
            }
        });
        Ok(Sink { url: format!("http://{addr}/hook"), received, stop })
    }

    /// Stops listening.
    pub(crate) fn stop(self) {
        let _ = self.stop.send(());
    }
}

fn receive(setup: &Setup, headers: &HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    let expected = crate::outbox::sign(setup.secret.as_bytes(), &body);
    let signature = header("x-ombud-signature");
    let Ok(mut guard) = setup.received.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    let received = &mut *guard;
    if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        received.bad_signatures += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let id = header("x-ombud-delivery");
    if id.is_empty() {
        received.without_id += 1;
        return StatusCode::BAD_REQUEST;
    }
    // Which deliveries fail their first attempt: a fixed function of the id, so a run repeats.
    let digest = Sha256::digest(id.as_bytes());
    let fail_first =
        u64::from(u16::from_le_bytes([digest[0], digest[1]])) % 1000 < setup.fail_per_mille;
    let delivery = received.deliveries.entry(id.to_string()).or_default();
    delivery.attempts += 1;
    if delivery.attempts == 1 {
        delivery.body = body;
    } else if delivery.body != body {
        delivery.changed += 1;
    }
    if fail_first && delivery.attempts == 1 {
        received.failed_on_purpose += 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    delivery.accepted += 1;
    StatusCode::OK
}
