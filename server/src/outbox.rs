//! The outbox: actions (flag, notify, escalate, reassign, breach) delivered to webhooks.
//!
//! A change writes one delivery per action and subscribed webhook in its own transaction, so an
//! action is never lost and never sent for a change that did not happen. A deliverer posts each
//! one as signed JSON, at least once: it claims a delivery by pushing its next attempt a lease
//! ahead (so an instance that dies mid-delivery hands it to another when the lease ends), and on
//! failure retries with exponential back-off until the attempts run out, when the delivery goes
//! to the dead-letter list (`GET /v1/deliveries?status=dead`; `POST …/retry` sends it again).
//!
//! Each request carries `X-Ombud-Delivery` (the delivery id, the same on every attempt: the
//! receiver's key for deduplication), `X-Ombud-Event` (the action kind) and
//! `X-Ombud-Signature: sha256=<hex>`, the HMAC-SHA256 of the body under the webhook's secret.

use crate::AppState;
use crate::auth::random_hex;
use crate::engine::{self, Action, Ticket, columns};
use crate::error::ApiError;
use crate::store::{ROWS_PER_INSERT, instant, millis, values};
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use sqlx::{AnyConnection, Row};
use std::time::Duration;

/// How deliveries are retried.
///
/// ```
/// let retry = ombud_server::Retry::default();
/// assert_eq!((retry.first_backoff.as_secs(), retry.max_attempts), (5, 12));
/// ```
#[derive(Clone, Debug)]
pub struct Retry {
    /// The wait after the first failed attempt; each further failure doubles it.
    pub first_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Attempts before a delivery goes to the dead-letter list.
    pub max_attempts: u32,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// How long a claimed delivery is reserved for the instance that claimed it: one attempt
    /// (`timeout`) and a margin to record its result. An instance that dies with deliveries
    /// claimed leaves them to the others (or to itself, started again) when the lease ends.
    pub lease: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 12,
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(15),
        }
    }
}

impl Retry {
    /// The wait after `attempts` failed attempts.
    fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self.first_backoff.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        doubled.min(self.max_backoff)
    }
}

/// The signature header's value for `body` under `secret`: `sha256=<hex>`.
///
/// ```
/// // The example of GitHub's webhook documentation.
/// let signature = ombud_server::sign(b"It's a Secret to Everybody", b"Hello, World!");
/// assert_eq!(signature, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
/// ```
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // INVARIANT: HMAC takes keys of any length (longer ones are hashed first).
    #[expect(clippy::expect_used, reason = "HMAC accepts a key of any length")]
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    format!("sha256={}", crate::auth::hex(&mac.finalize().into_bytes()))
}

/// Writes the deliveries of `actions` to every webhook subscribed to their kind, in the caller's
/// transaction.
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    ticket: &Ticket,
    actions: &[Action],
    now: DateTime<Utc>,
) -> Result<(), crate::tickets::Fail> {
    let hooks: Vec<(String, String)> =
        sqlx::query_as("SELECT id, kinds FROM webhooks ORDER BY id").fetch_all(&mut *conn).await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let c = columns(ticket);
    let id = engine::ticket_id(ticket);
    let created = millis(now);
    let mut rows = Vec::new();
    for action in actions {
        let kind = engine::action_kind(action);
        for (hook, kinds) in &hooks {
            if !kinds.is_empty() && !kinds.split(',').any(|k| k == kind) {
                continue;
            }
            let delivery = random_hex(16)?;
            let payload = json!({
                "delivery": delivery,
                "ticket": id,
                "policy": c.policy,
                "version": c.version,
                "action": action,
            });
            rows.push((delivery, hook, kind.clone(), payload.to_string()));
        }
    }
    for rows in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO outbox (ticket_id, delivery_id, webhook_id, kind, payload, status, attempts, \
             next_attempt_ms, last_error, created_ms, delivered_ms) VALUES {}",
            values(rows.len(), 11)
        );
        let mut insert = sqlx::query(&sql);
        for (delivery, hook, kind, payload) in rows {
            insert = insert
                .bind(id)
                .bind(delivery)
                .bind(*hook)
                .bind(kind)
                .bind(payload)
                .bind("pending")
                .bind(0i64)
                .bind(created)
                .bind(None::<String>)
                .bind(created)
                .bind(None::<i64>);
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Delivers due deliveries until `stop` is set; checks every `tick`.
pub(crate) async fn run(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let client = match reqwest::Client::builder().timeout(state.config.retry.timeout).build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: webhooks are not delivered: {e}");
            return;
        }
    };
    loop {
        let busy = match deliver_due(&state, &client).await {
            Ok(n) => n > 0,
            Err(e) => {
                eprintln!("error: delivering webhooks: {}", e.body());
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(state.config.outbox_tick) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// A claimed delivery: its keys, kind, payload, attempts so far, and the webhook's URL and
/// secret (none when the webhook was removed).
struct Claimed {
    ticket: String,
    delivery: String,
    kind: String,
    payload: String,
    attempts: u32,
    hook: Option<(String, String)>,
}

/// Delivers what is due now; how many deliveries were attempted. The due deliveries are
/// claimed in one transaction, posted concurrently, and their results recorded in another:
/// two commits for the lot, not two per delivery.
async fn deliver_due(state: &AppState, client: &reqwest::Client) -> Result<usize, ApiError> {
    let now = Utc::now();
    let mut due: Vec<(String, String)> = sqlx::query_as(
        "SELECT ticket_id, delivery_id FROM outbox WHERE status = 'pending' AND next_attempt_ms <= $1 \
         ORDER BY next_attempt_ms LIMIT 64",
    )
    .bind(millis(now))
    .fetch_all(&state.store.read)
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    // Rows are claimed in key order, so instances claiming at once never wait on each other in
    // a cycle.
    due.sort();
    let n = due.len();
    let lease =
        millis(now) + i64::try_from(state.config.retry.lease.as_millis()).unwrap_or(i64::MAX / 2);
    let claimed: Vec<Claimed> = state
        .store
        .change(move |conn| Box::pin(async move { claim(conn, due, lease, millis(now)).await }))
        .await?;
    let attempts = claimed.iter().map(|c| attempt(client, c));
    let results = futures_util::future::join_all(attempts).await;
    let retry = state.config.retry.clone();
    let done = millis(Utc::now());
    let outcomes: Vec<(Claimed, Result<(), String>)> = claimed.into_iter().zip(results).collect();
    let recorded: Vec<&'static str> = state
        .store
        .change(move |conn| Box::pin(async move { record(conn, &outcomes, &retry, done).await }))
        .await?;
    for result in recorded {
        state.metrics.delivery(result);
    }
    Ok(n)
}

/// Claims each delivery still due (pushes its next attempt a lease ahead); another instance
/// may have claimed some meanwhile.
async fn claim(
    conn: &mut AnyConnection,
    due: Vec<(String, String)>,
    lease: i64,
    now: i64,
) -> Result<Vec<Claimed>, ApiError> {
    let mut claimed = Vec::with_capacity(due.len());
    for (ticket, delivery) in due {
        let taken = sqlx::query(
            "UPDATE outbox SET next_attempt_ms = $1 WHERE ticket_id = $2 AND delivery_id = $3 \
             AND status = 'pending' AND next_attempt_ms <= $4",
        )
        .bind(lease)
        .bind(&ticket)
        .bind(&delivery)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if taken != 1 {
            continue; // another instance has it
        }
        type Row = (String, String, i64, Option<String>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT o.kind, o.payload, o.attempts, w.url, w.secret FROM outbox o \
             LEFT JOIN webhooks w ON w.id = o.webhook_id WHERE o.ticket_id = $1 AND o.delivery_id = $2",
        )
        .bind(&ticket)
        .bind(&delivery)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some((kind, payload, attempts, url, secret)) = row {
            let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
            let hook = url.zip(secret);
            claimed.push(Claimed { ticket, delivery, kind, payload, attempts, hook });
        }
    }
    Ok(claimed)
}

/// Posts one delivery.
async fn attempt(client: &reqwest::Client, c: &Claimed) -> Result<(), String> {
    // The webhook was removed after the action was queued: nothing to retry.
    let Some((url, secret)) = &c.hook else { return Err(REMOVED.to_string()) };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "ombud")
        .header("x-ombud-delivery", &c.delivery)
        .header("x-ombud-event", &c.kind)
        .header("x-ombud-signature", sign(secret.as_bytes(), c.payload.as_bytes()))
        .body(c.payload.clone())
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => Ok(()),
        Ok(r) => Err(format!("{url} answered {}", r.status())),
        Err(e) => Err(format!("{url}: {e}")),
    }
}

const REMOVED: &str = "the webhook was removed";

/// Records the attempts' results: delivered, or the next attempt after a back-off, or a dead
/// letter. The metric result of each.
async fn record(
    conn: &mut AnyConnection,
    outcomes: &[(Claimed, Result<(), String>)],
    retry: &Retry,
    done: i64,
) -> Result<Vec<&'static str>, ApiError> {
    let mut recorded = Vec::with_capacity(outcomes.len());
    for (c, result) in outcomes {
        let attempts = c.attempts.saturating_add(1);
        match result {
            Ok(()) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'delivered', attempts = $1, delivered_ms = $2, \
                     last_error = NULL WHERE ticket_id = $3 AND delivery_id = $4",
                )
                .bind(i64::from(attempts))
                .bind(done)
                .bind(&c.ticket)
                .bind(&c.delivery)
                .execute(&mut *conn)
                .await?;
                recorded.push("delivered");
            }
            Err(error) => {
                let dead = c.hook.is_none() || attempts >= retry.max_attempts;
                let next = done
                    + i64::try_from(retry.backoff(attempts).as_millis()).unwrap_or(i64::MAX / 2);
                sqlx::query(
                    "UPDATE outbox SET status = $1, attempts = $2, next_attempt_ms = $3, \
                     last_error = $4 WHERE ticket_id = $5 AND delivery_id = $6",
                )
                .bind(if dead { "dead" } else { "pending" })
                .bind(i64::from(attempts))
                .bind(next)
                .bind(error)
                .bind(&c.ticket)
                .bind(&c.delivery)
                .execute(&mut *conn)
                .await?;
                recorded.push(if dead { "dead" } else { "failed" });
            }
        }
    }
    Ok(recorded)
}

/// What the delivery list can be filtered by.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryFilter {
    /// `dead` (default), `pending` or `delivered`.
    pub status: Option<String>,
    /// Only this ticket's deliveries.
    pub ticket: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<i64>,
}

/// Deliveries by status, newest first.
pub async fn list(state: &AppState, f: DeliveryFilter) -> Result<Value, ApiError> {
    let status = f.status.unwrap_or_else(|| "dead".into());
    if !["dead", "pending", "delivered"].contains(&status.as_str()) {
        return Err(ApiError::bad_request(format!(
            "`status` is `{status}`: use dead, pending or delivered"
        )));
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    let rows = sqlx::query(
        "SELECT ticket_id, delivery_id, webhook_id, kind, payload, attempts, next_attempt_ms, \
         last_error, created_ms, delivered_ms FROM outbox WHERE status = $1 \
         AND ($2 = '' OR ticket_id = $2) ORDER BY created_ms DESC, delivery_id LIMIT $3",
    )
    .bind(&status)
    .bind(f.ticket.as_deref().unwrap_or(""))
    .bind(limit)
    .fetch_all(&state.store.read)
    .await?;
    let mut deliveries = Vec::with_capacity(rows.len());
    for r in rows {
        let payload: String = r.try_get("payload")?;
        let pending = status == "pending";
        deliveries.push(json!({
            "id": r.try_get::<String, _>("delivery_id")?,
            "ticket": r.try_get::<String, _>("ticket_id")?,
            "webhook": r.try_get::<String, _>("webhook_id")?,
            "kind": r.try_get::<String, _>("kind")?,
            "status": status,
            "attempts": r.try_get::<i64, _>("attempts")?,
            "next_attempt_at": if pending { instant(r.try_get("next_attempt_ms")?) } else { None },
            "last_error": r.try_get::<Option<String>, _>("last_error")?,
            "created_at": instant(r.try_get("created_ms")?),
            "delivered_at": r.try_get::<Option<i64>, _>("delivered_ms")?.and_then(instant),
            "payload": serde_json::from_str::<Value>(&payload).unwrap_or(Value::Null),
        }));
    }
    Ok(json!({ "deliveries": deliveries }))
}

/// Sends a dead delivery again (attempts start afresh); false when there is no dead delivery
/// with that id.
pub async fn retry(state: &AppState, delivery: &str) -> Result<bool, ApiError> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = $1 \
         WHERE delivery_id = $2 AND status = 'dead'",
    )
    .bind(millis(Utc::now()))
    .bind(delivery)
    .execute(&state.store.write)
    .await?;
    Ok(done.rows_affected() >= 1)
}

/// A webhook to register.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to post (`http://` or `https://`).
    pub url: String,
    /// The signing secret (default: 32 random bytes, returned once).
    pub secret: Option<String>,
    /// The action kinds to send (default: all).
    #[serde(default)]
    pub kinds: Vec<String>,
}

/// Registers a webhook; the answer carries its secret (the only time it is shown).
pub async fn create_webhook(state: &AppState, hook: NewWebhook) -> Result<Value, ApiError> {
    let url = reqwest::Url::parse(&hook.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            ApiError::unprocessable("invalid_url", format!("`{}` is not an http(s) URL", hook.url))
        })?;
    if let Some(bad) = hook.kinds.iter().find(|k| !engine::is_action_kind(k)) {
        return Err(ApiError::unprocessable(
            "invalid_kind",
            format!("no action kind `{bad}`: use flag, notify, escalate, reassign or breach"),
        ));
    }
    let secret = match hook.secret {
        Some(s) if s.len() >= 16 => s,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "weak_secret",
                "a webhook secret needs at least 16 characters",
            ));
        }
        None => random_hex(32)?,
    };
    let id = random_hex(8)?;
    let kinds = hook.kinds.join(",");
    sqlx::query(
        "INSERT INTO webhooks (id, url, secret, kinds, created_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(url.as_str())
    .bind(&secret)
    .bind(&kinds)
    .bind(millis(Utc::now()))
    .execute(&state.store.write)
    .await?;
    Ok(json!({"id": id, "url": url.as_str(), "kinds": hook.kinds, "secret": secret}))
}

/// The registered webhooks (without their secrets).
pub async fn list_webhooks(state: &AppState) -> Result<Value, ApiError> {
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT id, url, kinds, created_ms FROM webhooks ORDER BY created_ms, id")
            .fetch_all(&state.store.read)
            .await?;
    let hooks: Vec<Value> = rows
        .into_iter()
        .map(|(id, url, kinds, created)| {
            let kinds: Vec<&str> = kinds.split(',').filter(|k| !k.is_empty()).collect();
            json!({"id": id, "url": url, "kinds": kinds, "created_at": instant(created)})
        })
        .collect();
    Ok(json!({ "webhooks": hooks }))
}

/// Removes a webhook; its pending deliveries go to the dead-letter list at their next attempt.
pub async fn delete_webhook(state: &AppState, id: &str) -> Result<bool, ApiError> {
    let done = sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(&state.store.write)
        .await?;
    Ok(done.rows_affected() == 1)
}
