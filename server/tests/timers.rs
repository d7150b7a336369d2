//! Durable timers: a ladder step fires at its instant while the server runs; a server that was
//! down fires every step and breach it missed, each at its own instant, once; two instances on
//! one PostgreSQL advance each due ticket exactly once between them.

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
use std::collections::BTreeMap;

on_both!(a_step_fires_at_its_instant, a_restarted_server_catches_up);

fn rows(ticket: &Value) -> Vec<(String, DateTime<Utc>)> {
    ticket["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["kind"].as_str().unwrap().to_string(), r["at"].as_str().unwrap().parse().unwrap())
        })
        .collect()
}

async fn open(s: &Running, token: &str, id: &str, at: DateTime<Utc>) {
    let body = json!({"policy": "desk", "id": id, "at": at.to_rfc3339()});
    let (status, answer) = s.call("POST", "/v1/tickets", Some(token), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

async fn a_step_fires_at_its_instant(db: Db) {
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    s.deploy(&admin, DESK).await;
    // The 50 % flag falls due in one to two seconds.
    let at = Utc::now().trunc_subsecs(0) - TimeDelta::hours(2) + TimeDelta::seconds(2);
    open(&s, &admin, "T-1", at).await;
    let (_, before) = s.call("GET", "/v1/tickets/T-1", Some(&admin), None).await;
    assert_eq!(before["flagged"], Value::Null, "not flagged before its instant");
    let flagged = eventually(10, || async {
        let (_, t) = s.call("GET", "/v1/tickets/T-1", Some(&admin), None).await;
        t["flagged"] == true
    })
    .await;
    assert!(flagged);
    assert!(Utc::now() >= at + TimeDelta::hours(2));
    let (_, t) = s.call("GET", "/v1/tickets/T-1", Some(&admin), None).await;
    let flag: Vec<_> = rows(&t).into_iter().filter(|(k, _)| k == "flag").collect();
    assert_eq!(flag, [("flag".to_string(), at + TimeDelta::hours(2))]);
    assert_eq!(t["tier"], "agent");
    let next: DateTime<Utc> = t["next_actions"]["next_wakeup"].as_str().unwrap().parse().unwrap();
    assert_eq!(next, at + TimeDelta::hours(4));
    s.server.shutdown().await;
}

/// Actions the sink received, by ticket: (kind, instant) in the order received.
fn received(sink: &Sink) -> BTreeMap<String, Vec<(String, DateTime<Utc>)>> {
    let mut by_ticket: BTreeMap<String, Vec<(String, DateTime<Utc>)>> = BTreeMap::new();
    for r in sink.all() {
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        let action = &body["action"];
        by_ticket.entry(body["ticket"].as_str().unwrap().to_string()).or_default().push((
            action["kind"].as_str().unwrap().to_string(),
            action["at"].as_str().unwrap().parse().unwrap(),
        ));
    }
    by_ticket
}

async fn a_restarted_server_catches_up(db: Db) {
    let sink = Sink::start(0).await;
    // The first server takes tickets and stops before anything falls due.
    let first =
        Running::start(ombud_server::Config { timers: false, deliveries: false, ..config(&db) })
            .await;
    let admin = first.admin();
    first.deploy(&admin, DESK).await;
    let hook = json!({"url": sink.url, "secret": "catch-up-secret-0001"});
    assert_eq!(
        first.call("POST", "/v1/webhooks", Some(&admin), Some(hook)).await.0,
        StatusCode::CREATED
    );
    let now = Utc::now().trunc_subsecs(0);
    let (late, flagged) = (now - TimeDelta::hours(10), now - TimeDelta::hours(3));
    open(&first, &admin, "C-late", late).await;
    open(&first, &admin, "C-flag", flagged).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, t) = first.call("GET", "/v1/tickets/C-late", Some(&admin), None).await;
    assert_eq!(rows(&t).len(), 3, "nothing fired while the timers were off");
    first.server.shutdown().await;

    let second = Running::start(config(&db)).await;
    let caught_up = eventually(10, || async {
        let (_, t) = second.call("GET", "/v1/tickets/C-late", Some(&admin), None).await;
        let (_, f) = second.call("GET", "/v1/tickets/C-flag", Some(&admin), None).await;
        t["tier"] == "lead" && f["flagged"] == true
    })
    .await;
    assert!(caught_up);
    let (_, t) = second.call("GET", "/v1/tickets/C-late", Some(&admin), None).await;
    let fired: Vec<_> = rows(&t).into_iter().skip(3).collect();
    let h = |n| TimeDelta::hours(n);
    let expect = [("flag", late + h(2)), ("breach", late + h(4)), ("escalate", late + h(4))];
    assert_eq!(fired, expect.map(|(k, at)| (k.to_string(), at)));
    let (_, f) = second.call("GET", "/v1/tickets/C-flag", Some(&admin), None).await;
    let fired: Vec<_> = rows(&f).into_iter().skip(3).collect();
    assert_eq!(fired, [("flag".to_string(), flagged + h(2))]);
    // Every action reaches the webhook once, dated at its own instant.
    let delivered = eventually(10, || async { sink.all().len() >= 4 }).await;
    assert!(delivered);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = received(&sink);
    let mut late_actions = got["C-late"].clone();
    late_actions.sort();
    let mut expect: Vec<_> = expect.map(|(k, at)| (k.to_string(), at)).to_vec();
    expect.sort();
    assert_eq!(late_actions, expect);
    assert_eq!(got["C-flag"], [("flag".to_string(), flagged + h(2))]);
    assert_eq!(sink.all().len(), 4, "each action delivered once");
    second.server.shutdown().await;
}

/// The count a metric of `/metrics` shows.
async fn metric(s: &Running, token: &str, name: &str) -> f64 {
    let text = s.text("/metrics", token).await;
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_advance_each_ticket_once() {
    let Some(db) = Db::postgres("two_instances_advance_each_ticket_once").await else { return };
    let sink = Sink::start(0).await;
    let first =
        Running::start(ombud_server::Config { timers: false, deliveries: false, ..config(&db) })
            .await;
    let admin = first.admin();
    first.deploy(&admin, DESK).await;
    let hook = json!({"url": sink.url, "secret": "two-instances-secret"});
    first.call("POST", "/v1/webhooks", Some(&admin), Some(hook)).await;
    let start = Utc::now().trunc_subsecs(0) - TimeDelta::hours(10);
    const N: i64 = 60;
    for i in 0..N {
        open(&first, &admin, &format!("P-{i:02}"), start + TimeDelta::seconds(i)).await;
    }
    first.server.shutdown().await;
    let (a, b) = tokio::join!(Running::start(config(&db)), Running::start(config(&db)));
    let done = eventually(30, || async {
        let (_, q) = a.call("GET", "/v1/tickets?tier=lead&limit=1000", Some(&admin), None).await;
        q["tickets"].as_array().unwrap().len() == N as usize
    })
    .await;
    assert!(done, "every ticket escalated");
    let delivered = eventually(30, || async { sink.all().len() >= 3 * N as usize }).await;
    assert!(delivered);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for i in 0..N {
        let id = format!("P-{i:02}");
        let (_, t) = a.call("GET", &format!("/v1/tickets/{id}"), Some(&admin), None).await;
        let kinds: Vec<String> = rows(&t).into_iter().skip(3).map(|(k, _)| k).collect();
        assert_eq!(kinds, ["flag", "breach", "escalate"], "{id}");
    }
    let got = received(&sink);
    assert_eq!(got.len(), N as usize);
    assert!(got.values().all(|actions| actions.len() == 3), "{got:?}");
    assert_eq!(sink.all().len(), 3 * N as usize, "each action delivered once");
    let advanced = metric(&a, &admin, "ombud_timers_fired_total").await
        + metric(&b, &admin, "ombud_timers_fired_total").await;
    assert_eq!(advanced, N as f64, "each ticket advanced by one instance, once");
    tokio::join!(a.server.shutdown(), b.server.shutdown());
}
