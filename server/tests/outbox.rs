//! Webhooks: signed deliveries with a delivery id, retried with back-off until the receiver
//! takes them, and dead letters that an admin can send again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use common::{DESK, Db, Running, Sink, config, eventually};
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

on_both!(deliveries_are_signed_and_filtered, failed_deliveries_retry_then_go_dead);

/// A server with DESK deployed and its admin token.
async fn desk(db: &Db) -> (Running, String) {
    let s = Running::start(config(db)).await;
    let admin = s.admin();
    s.deploy(&admin, DESK).await;
    (s, admin)
}

/// Opens a ticket whose red flag (50 %) fell due an hour ago.
async fn open_flagged(s: &Running, token: &str, id: &str) -> DateTime<Utc> {
    let at = Utc::now().trunc_subsecs(0) - TimeDelta::hours(3);
    let body = json!({"policy": "desk", "id": id, "at": at.to_rfc3339()});
    assert_eq!(s.call("POST", "/v1/tickets", Some(token), Some(body)).await.0, StatusCode::CREATED);
    at
}

async fn deliveries_are_signed_and_filtered(db: Db) {
    let (s, admin) = desk(&db).await;
    let (all, escalations) = (Sink::start(0).await, Sink::start(0).await);
    let secret = "a-signing-secret-for-tests";
    let (status, hook) = s
        .call("POST", "/v1/webhooks", Some(&admin), Some(json!({"url": all.url, "secret": secret})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let only = json!({"url": escalations.url, "kinds": ["escalate"]});
    let (status, generated) = s.call("POST", "/v1/webhooks", Some(&admin), Some(only)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(generated["secret"].as_str().unwrap().len(), 64, "a generated secret: 32 bytes");
    let at = open_flagged(&s, &admin, "W-1").await;
    assert!(eventually(10, || async { !all.all().is_empty() }).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let got = all.all();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let header = |name: &str| r.headers[name].to_str().unwrap().to_string();
    assert_eq!(header("x-ombud-signature"), ombud_server::sign(secret.as_bytes(), &r.body));
    assert_eq!(header("x-ombud-event"), "flag");
    assert_eq!(header("content-type"), "application/json");
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(header("x-ombud-delivery"), body["delivery"].as_str().unwrap());
    assert_eq!(
        (body["ticket"].as_str(), body["policy"].as_str(), body["version"].as_str()),
        (Some("W-1"), Some("desk"), Some("1"))
    );
    let action = &body["action"];
    assert_eq!(
        (action["kind"].as_str(), action["subject"].as_str(), action["tier"].as_str()),
        (Some("flag"), Some("open"), Some("agent"))
    );
    let due: DateTime<Utc> = action["at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due, at + TimeDelta::hours(2));
    assert!(escalations.all().is_empty(), "a webhook for escalations gets no flag");
    let (_, listed) = s.call("GET", "/v1/deliveries?status=delivered", Some(&admin), None).await;
    let d = &listed["deliveries"][0];
    assert_eq!(
        (d["id"].as_str(), d["attempts"].as_u64(), d["kind"].as_str()),
        (body["delivery"].as_str(), Some(1), Some("flag"))
    );
    // Bad webhooks are refused.
    for (hook, code) in [
        (json!({"url": "ftp://example.org/x"}), "invalid_url"),
        (json!({"url": "not a url"}), "invalid_url"),
        (json!({"url": all.url, "kinds": ["explode"]}), "invalid_kind"),
        (json!({"url": all.url, "secret": "short"}), "weak_secret"),
    ] {
        let (status, answer) =
            s.call("POST", "/v1/webhooks", Some(&admin), Some(hook.clone())).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{hook}"
        );
    }
    let (_, hooks) = s.call("GET", "/v1/webhooks", Some(&admin), None).await;
    assert_eq!(hooks["webhooks"].as_array().unwrap().len(), 2);
    let id = hook["id"].as_str().unwrap();
    assert_eq!(
        s.call("DELETE", &format!("/v1/webhooks/{id}"), Some(&admin), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.call("DELETE", &format!("/v1/webhooks/{id}"), Some(&admin), None).await.0,
        StatusCode::NOT_FOUND
    );
    s.server.shutdown().await;
}

async fn failed_deliveries_retry_then_go_dead(db: Db) {
    let (s, admin) = desk(&db).await;
    // Fails twice, then takes it: three attempts, one delivery id.
    let flaky = Sink::start(2).await;
    s.call("POST", "/v1/webhooks", Some(&admin), Some(json!({"url": flaky.url}))).await;
    open_flagged(&s, &admin, "R-1").await;
    let delivered = eventually(10, || async {
        let (_, d) = s.call("GET", "/v1/deliveries?status=delivered", Some(&admin), None).await;
        !d["deliveries"].as_array().unwrap().is_empty()
    })
    .await;
    assert!(delivered);
    let got = flaky.all();
    assert_eq!(got.len(), 3);
    let ids: Vec<&str> =
        got.iter().map(|r| r.headers["x-ombud-delivery"].to_str().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let (_, d) = s.call("GET", "/v1/deliveries?status=delivered", Some(&admin), None).await;
    assert_eq!(d["deliveries"][0]["attempts"], 3);
    let hooks = s.call("GET", "/v1/webhooks", Some(&admin), None).await.1;
    let flaky_id = hooks["webhooks"][0]["id"].as_str().unwrap().to_string();
    s.call("DELETE", &format!("/v1/webhooks/{flaky_id}"), Some(&admin), None).await;

    // Always failing: after the last attempt (4 in the tests' config) it is a dead letter.
    let down = Sink::start(usize::MAX).await;
    s.call("POST", "/v1/webhooks", Some(&admin), Some(json!({"url": down.url}))).await;
    open_flagged(&s, &admin, "R-2").await;
    let dead = eventually(10, || async {
        let (_, d) = s.call("GET", "/v1/deliveries", Some(&admin), None).await;
        !d["deliveries"].as_array().unwrap().is_empty()
    })
    .await;
    assert!(dead);
    let (_, d) = s.call("GET", "/v1/deliveries?status=dead", Some(&admin), None).await;
    let letter = &d["deliveries"][0];
    assert_eq!((letter["ticket"].as_str(), letter["attempts"].as_u64()), (Some("R-2"), Some(4)));
    assert!(letter["last_error"].as_str().unwrap().contains("500"), "{letter}");
    assert_eq!(down.all().len(), 4);
    let viewer = s.token(&admin, "viewer", "v").await;
    assert_eq!(
        s.call("GET", "/v1/deliveries?status=dead", Some(&viewer), None).await.0,
        StatusCode::OK
    );
    // The receiver is back: an admin sends the letter again.
    down.failures.store(0, Ordering::SeqCst);
    let id = letter["id"].as_str().unwrap();
    let (status, _) =
        s.call("POST", &format!("/v1/deliveries/{id}/retry"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK);
    let resent = eventually(10, || async {
        let (_, d) =
            s.call("GET", "/v1/deliveries?status=delivered&ticket=R-2", Some(&admin), None).await;
        !d["deliveries"].as_array().unwrap().is_empty()
    })
    .await;
    assert!(resent);
    assert_eq!(down.all().len(), 5);
    let (status, _) =
        s.call("POST", &format!("/v1/deliveries/{id}/retry"), Some(&admin), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "only dead letters are sent again");
    // A webhook removed with deliveries pending: they become dead letters at once.
    let gone = Sink::start(usize::MAX).await;
    let (_, hook) =
        s.call("POST", "/v1/webhooks", Some(&admin), Some(json!({"url": gone.url}))).await;
    let down_id = s.call("GET", "/v1/webhooks", Some(&admin), None).await.1["webhooks"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.call("DELETE", &format!("/v1/webhooks/{down_id}"), Some(&admin), None).await;
    let hook_id = hook["id"].as_str().unwrap().to_string();
    open_flagged(&s, &admin, "R-3").await;
    // The timers flag the ticket; its delivery fails once and waits for its next attempt.
    assert!(eventually(10, || async { !gone.all().is_empty() }).await);
    s.call("DELETE", &format!("/v1/webhooks/{hook_id}"), Some(&admin), None).await;
    let removed = eventually(10, || async {
        let (_, d) =
            s.call("GET", "/v1/deliveries?status=dead&ticket=R-3", Some(&admin), None).await;
        d["deliveries"][0]["last_error"] == "the webhook was removed"
    })
    .await;
    assert!(removed);
    s.server.shutdown().await;
}
