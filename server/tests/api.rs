//! The API over real HTTP on 127.0.0.1, on SQLite and (with `OMBUD_TEST_POSTGRES`) PostgreSQL:
//! opening, events, idempotency, refusals, the queue, policies, migrations, exports.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, NaiveTime, SubsecRound, TimeDelta, Utc};
use common::{DESK, Db, Running, config, eventually};
use serde_json::{Value, json};

on_both!(
    open_send_and_read,
    repeated_requests_apply_once,
    refused_events_change_nothing,
    queue_orders_and_filters,
    policies_deploy_lint_and_version,
    migration_previews_then_moves_tickets,
    ledger_and_store_export,
);

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn rfc(at: DateTime<Utc>) -> String {
    at.to_rfc3339()
}

fn kinds(view: &Value) -> Vec<String> {
    view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect()
}

/// A server with DESK deployed: the server, an admin, an agent and a viewer token.
async fn desk(db: &Db) -> (Running, String, String, String) {
    let s = Running::start(config(db)).await;
    let admin = s.admin();
    let (status, body) = s.deploy(&admin, DESK).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let agent = s.token(&admin, "agent", "li.wei").await;
    let viewer = s.token(&admin, "viewer", "auditor").await;
    (s, admin, agent, viewer)
}

async fn open(s: &Running, token: &str, id: &str, at: DateTime<Utc>) -> (StatusCode, Value) {
    let body = json!({"policy": "desk", "id": id, "at": rfc(at), "fields": {"channel": "phone"}});
    s.call("POST", "/v1/tickets", Some(token), Some(body)).await
}

async fn send(s: &Running, token: &str, ticket: &str, event: Value) -> (StatusCode, Value) {
    s.call("POST", &format!("/v1/tickets/{ticket}/events"), Some(token), Some(event)).await
}

async fn open_send_and_read(db: Db) {
    let (s, _admin, agent, viewer) = desk(&db).await;
    let at = now() - TimeDelta::hours(1);
    let (status, opened) = open(&s, &agent, "D-1", at).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    assert_eq!((opened["stage"].as_str(), opened["tier"].as_str()), (Some("open"), Some("agent")));
    assert_eq!(kinds(&opened), ["opened", "entered", "deadline"]);
    let deadline: DateTime<Utc> =
        opened["clocks"][0]["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(deadline, at + TimeDelta::hours(4));
    assert_eq!(opened["policy"]["version"], "1");

    let (status, read) = s.call("GET", "/v1/tickets/D-1", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["fields"]["channel"], "phone");
    let done = read["next_actions"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "done")
        .unwrap();
    assert_eq!(done["blocked_by"][0], "missing reply");
    assert_eq!(read["clocks"][0]["overdue"], false);

    let attach = json!({"id": "e-1", "at": rfc(at + TimeDelta::minutes(5)), "event": "attach", "artifact": "reply"});
    let (status, outcome) = send(&s, &agent, "D-1", attach).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["rows"][0]["kind"], "attached");
    assert_eq!(outcome["ticket"]["stage"], "open");
    // `at` defaults to now, `by` to the token's name.
    let (status, outcome) = send(&s, &agent, "D-1", json!({"id": "e-2", "event": "done"})).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        (outcome["ticket"]["stage"].as_str(), outcome["ticket"]["closed"].as_bool()),
        (Some("closed"), Some(true))
    );
    assert_eq!(outcome["next_wakeup"], Value::Null);

    let (_, read) = s.call("GET", "/v1/tickets/D-1", Some(&viewer), None).await;
    assert_eq!(
        kinds(&read),
        ["opened", "entered", "deadline", "attached", "event", "entered", "closed"]
    );
    let last = read["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["entry"]["by"], "li.wei");

    // Openings the server or the engine refuses.
    let cases = [
        (
            json!({"policy": "nope", "id": "X-1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_policy",
        ),
        (
            json!({"policy": "desk", "id": "X-2", "fields": {"chanel": "web"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_field",
        ),
        (
            json!({"policy": "desk", "id": "X-3", "fields": {"channel": "fax"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_in_enum",
        ),
        (
            json!({"policy": "desk", "id": "x".repeat(129)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id",
        ),
        (
            json!({"policy": "desk", "id": "X-4", "at": rfc(now() + TimeDelta::hours(1))}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "in_the_future",
        ),
        (json!({"id": "X-5"}), StatusCode::BAD_REQUEST, "bad_request"),
        (
            json!({"policy": "desk", "id": "X-6", "stage": "closed"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = s.call("POST", "/v1/tickets", Some(&agent), Some(body.clone())).await;
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{body} → {answer}");
        assert!(!answer["message"].as_str().unwrap().is_empty());
    }
    let (status, answer) = s.call("GET", "/v1/tickets/X-1", Some(&viewer), None).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, _, _) =
        s.raw("POST", "/v1/tickets", Some(&agent), Some(b"{not json".to_vec())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Over the size limit: 413, and nothing opened.
    let big =
        json!({"policy": "desk", "id": "BIG", "fields": {"note": "x".repeat(2 * 1024 * 1024)}});
    let (status, answer) = s.call("POST", "/v1/tickets", Some(&agent), Some(big)).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large"))
    );
    let (status, _) = s.call("GET", "/v1/tickets/BIG", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.server.shutdown().await;
}

/// The ledger lines of one ticket.
async fn ledger_of(s: &Running, token: &str, ticket: &str) -> Vec<Value> {
    s.text("/v1/ledger", token)
        .await
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["ticket"] == ticket)
        .collect()
}

async fn repeated_requests_apply_once(db: Db) {
    let (s, _admin, agent, viewer) = desk(&db).await;
    let at = now() - TimeDelta::hours(1);
    let (status, first) = open(&s, &agent, "R-1", at).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = open(&s, &agent, "R-1", at).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (again["id"].clone(), again["audit_head"].clone()),
        (first["id"].clone(), first["audit_head"].clone())
    );
    let other = json!({"policy": "desk", "id": "R-1", "at": rfc(at), "fields": {"channel": "web"}});
    let (status, answer) = s.call("POST", "/v1/tickets", Some(&agent), Some(other)).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("ticket_exists")));

    let attach = json!({"id": "e-1", "at": rfc(at + TimeDelta::minutes(1)), "event": "attach", "artifact": "reply"});
    let (status, answer) = send(&s, &agent, "R-1", attach.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, repeat) = send(&s, &agent, "R-1", attach).await;
    assert_eq!((status, &repeat), (StatusCode::OK, &answer));
    let changed = json!({"id": "e-1", "at": rfc(at + TimeDelta::minutes(2)), "event": "attach", "artifact": "reply"});
    let (status, answer) = send(&s, &agent, "R-1", changed).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("event_id_reused")));

    // The same event sent ten times at once is applied once; ten different events sent at
    // once are each applied once, one after the other.
    let same = json!({"id": "e-2", "at": rfc(at + TimeDelta::minutes(3)), "event": "set", "data": {"channel": "web"}});
    let answers =
        futures_util::future::join_all((0..10).map(|_| send(&s, &agent, "R-1", same.clone())))
            .await;
    assert!(answers.iter().all(|a| a.0 == StatusCode::OK && a.1 == answers[0].1), "{answers:?}");
    let distinct = (0..10).map(|i| {
        json!({"id": format!("p-{i}"), "at": rfc(at + TimeDelta::minutes(4)), "event": "set", "data": {"channel": "phone"}})
    });
    let answers =
        futures_util::future::join_all(distinct.map(|e| send(&s, &agent, "R-1", e))).await;
    assert!(answers.iter().all(|a| a.0 == StatusCode::OK), "{answers:?}");

    let lines = ledger_of(&s, &viewer, "R-1").await;
    assert_eq!(lines.len(), 1 + 1 + 1 + 10, "{lines:#?}");
    assert!(lines[0]["open"].is_object());
    let (_, ticket) = s.call("GET", "/v1/tickets/R-1", Some(&viewer), None).await;
    let history = ticket["history"].as_array().unwrap();
    assert_eq!(history.len(), lines.len());
    let seqs: Vec<u64> = history.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..13).collect::<Vec<u64>>());
    // The metrics count each answer once: twelve accepted, ten repeats.
    let metrics = s.text("/metrics", &viewer).await;
    let count = |series: &str| {
        metrics.lines().find_map(|l| l.strip_prefix(series)).map(|v| v.trim().to_string())
    };
    assert_eq!(
        count("ombud_events_total{result=\"accepted\"}").as_deref(),
        Some("12"),
        "{metrics}"
    );
    assert_eq!(count("ombud_events_total{result=\"repeated\"}").as_deref(), Some("10"));
    assert_eq!(count("ombud_tickets_opened_total").as_deref(), Some("1"));
    s.server.shutdown().await;
}

/// The stored ticket (the engine's JSON) as the store export has it.
async fn stored(s: &Running, token: &str, id: &str) -> Value {
    s.text("/v1/ledger/tickets", token)
        .await
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|t| t["id"] == id)
        .unwrap()
}

async fn refused_events_change_nothing(db: Db) {
    let (s, _admin, agent, viewer) = desk(&db).await;
    let at = now() - TimeDelta::hours(1);
    open(&s, &agent, "F-1", at).await;
    let before = stored(&s, &viewer, "F-1").await;
    let lines_before = ledger_of(&s, &viewer, "F-1").await;
    let done = json!({"id": "e-1", "at": rfc(at + TimeDelta::minutes(1)), "event": "done"});
    let (status, answer) = send(&s, &agent, "F-1", done.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer["code"], "missing_artifacts");
    assert_eq!(answer["missing"], json!(["reply"]));
    assert_eq!(answer["message"], "stage `open` cannot be left before `reply` is attached");
    // Sent again: the first answer, still nothing applied.
    let (status, again) = send(&s, &agent, "F-1", done).await;
    assert_eq!((status, &again), (StatusCode::UNPROCESSABLE_ENTITY, &answer));
    let early = json!({"id": "e-2", "at": rfc(at - TimeDelta::minutes(1)), "event": "attach", "artifact": "reply"});
    let (status, answer) = send(&s, &agent, "F-1", early).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("out_of_order"))
    );
    let stray = json!({"id": "e-3", "event": "done", "artifact": "reply"});
    let (status, answer) = send(&s, &agent, "F-1", stray).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_event"))
    );
    let (status, answer) =
        send(&s, &agent, "F-1", json!({"id": "e-4", "event": "done", "colour": "red"})).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let (status, answer) = send(&s, &agent, "F-1", json!({"event": "done"})).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let (status, _) = send(&s, &agent, "NOPE", json!({"id": "e-5", "event": "done"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&s, &viewer, "F-1").await, before);
    assert_eq!(ledger_of(&s, &viewer, "F-1").await, lines_before);
    s.server.shutdown().await;
}

async fn queue_ids(s: &Running, token: &str, query: &str) -> Vec<String> {
    let (status, body) = s.call("GET", &format!("/v1/tickets{query}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect()
}

async fn queue_orders_and_filters(db: Db) {
    let (s, _admin, agent, viewer) = desk(&db).await;
    let now = now();
    open(&s, &agent, "Q-fresh", now - TimeDelta::minutes(10)).await; // due in 3 h 50
    open(&s, &agent, "Q-flagged", now - TimeDelta::hours(3)).await; // 50 % passed an hour ago
    open(&s, &agent, "Q-late", now - TimeDelta::hours(5)).await; // deadline passed an hour ago
    open(&s, &agent, "Q-done", now - TimeDelta::minutes(30)).await;
    let attach = json!({"id": "a", "event": "attach", "artifact": "reply"});
    assert_eq!(send(&s, &agent, "Q-done", attach).await.0, StatusCode::OK);
    assert_eq!(
        send(&s, &agent, "Q-done", json!({"id": "d", "event": "done"})).await.0,
        StatusCode::OK
    );
    let assign = json!({"id": "r", "event": "reassign", "assignee": "zhang.min"});
    assert_eq!(send(&s, &agent, "Q-fresh", assign).await.0, StatusCode::OK);
    // The timers flag Q-flagged and escalate Q-late.
    let escalated = eventually(10, || async {
        let (_, t) = s.call("GET", "/v1/tickets/Q-late", Some(&viewer), None).await;
        let (_, f) = s.call("GET", "/v1/tickets/Q-flagged", Some(&viewer), None).await;
        t["tier"] == "lead" && f["flagged"] == true
    })
    .await;
    assert!(escalated);
    assert_eq!(queue_ids(&s, &viewer, "").await, ["Q-late", "Q-flagged", "Q-fresh"]);
    assert_eq!(queue_ids(&s, &viewer, "?tier=lead").await, ["Q-late"]);
    assert_eq!(queue_ids(&s, &viewer, "?flagged=false").await, ["Q-fresh"]);
    assert_eq!(queue_ids(&s, &viewer, "?overdue=true").await, ["Q-late"]);
    assert_eq!(queue_ids(&s, &viewer, "?overdue=false").await, ["Q-flagged", "Q-fresh"]);
    assert_eq!(queue_ids(&s, &viewer, "?assignee=zhang.min").await, ["Q-fresh"]);
    let before = (now + TimeDelta::hours(2)).to_rfc3339().replace('+', "%2B");
    assert_eq!(
        queue_ids(&s, &viewer, &format!("?due_before={before}")).await,
        ["Q-late", "Q-flagged"]
    );
    assert_eq!(queue_ids(&s, &viewer, "?state=closed").await, ["Q-done"]);
    assert_eq!(queue_ids(&s, &viewer, "?state=all&stage=closed").await, ["Q-done"]);
    assert_eq!(queue_ids(&s, &viewer, "?policy=other").await, Vec::<String>::new());
    assert_eq!(queue_ids(&s, &viewer, "?limit=1&offset=1").await, ["Q-flagged"]);
    let (_, body) = s.call("GET", "/v1/tickets?overdue=true", Some(&viewer), None).await;
    let late = &body["tickets"][0];
    assert_eq!(
        (late["flagged"].as_bool(), late["overdue"].as_bool(), late["tier"].as_str()),
        (Some(true), Some(true), Some("lead"))
    );
    let deadline: DateTime<Utc> = late["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(deadline, now - TimeDelta::hours(1));
    let (status, answer) = s.call("GET", "/v1/tickets?state=maybe", Some(&viewer), None).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let (status, _) = s.call("GET", "/v1/tickets?colour=red", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.server.shutdown().await;
}

async fn policies_deploy_lint_and_version(db: Db) {
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    // Errors come back located, in the engine's diagnostic shape; nothing is deployed.
    let (status, answer) = s.deploy(&admin, &DESK.replace("done: closed", "done: clsoed")).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_policy"))
    );
    assert_eq!(answer["message"], "the policy has 1 error");
    assert_eq!(
        answer["diagnostics"][0],
        json!({"severity": "error", "code": "E0201", "message": "unknown stage `clsoed`",
               "file": "desk.yaml", "line": 14, "column": 65, "hint": "did you mean `closed`?"})
    );
    // A calendar file is refused before anything reads it.
    let (status, answer) = s
        .deploy(&admin, &DESK.replace("calendar: weekdays", "calendar: ../../etc/passwd.yaml"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let d = &answer["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("E0701"), Some(3), Some(11))
    );
    assert_eq!(
        d["message"],
        "calendar `../../etc/passwd.yaml` is a file; the server runs bundled calendars only"
    );
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/diagnostics.md"))
            .unwrap();
    assert!(docs.contains("### E0701"));

    let (status, answer) = s.deploy(&admin, DESK).await;
    assert_eq!(
        (status, answer["created"].as_bool()),
        (StatusCode::CREATED, Some(true)),
        "{answer}"
    );
    let (status, answer) = s.deploy(&admin, DESK).await;
    assert_eq!((status, answer["created"].as_bool()), (StatusCode::OK, Some(false)));
    let (status, answer) = s.deploy(&admin, &DESK.replace("due: 4h", "due: 2h")).await;
    assert_eq!((status, answer["code"].as_str()), (StatusCode::CONFLICT, Some("version_exists")));
    let v2 = DESK.replace("version: '1'", "version: '2'").replace("due: 4h", "due: 2h");
    let (status, _, body) = s
        .raw(
            "POST",
            "/v1/policies?name=desk.yaml&dry_run=true",
            Some(&admin),
            Some(v2.clone().into_bytes()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let (_, versions) = s.call("GET", "/v1/policies/desk", Some(&admin), None).await;
    assert_eq!(versions["versions"].as_array().unwrap().len(), 1, "a dry run deploys nothing");
    assert_eq!(s.deploy(&admin, &v2).await.0, StatusCode::CREATED);
    let (_, versions) = s.call("GET", "/v1/policies/desk", Some(&admin), None).await;
    let listed: Vec<(String, bool)> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap().to_string(), v["current"].as_bool().unwrap()))
        .collect();
    assert_eq!(listed, [("1".to_string(), false), ("2".to_string(), true)]);
    let (status, _, source) =
        s.raw("GET", "/v1/policies/desk/versions/1", Some(&admin), None).await;
    assert_eq!((status, source.as_ref()), (StatusCode::OK, DESK.as_bytes()));
    assert_eq!(
        s.call("GET", "/v1/policies/desk/versions/9", Some(&admin), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.call("GET", "/v1/policies/none", Some(&admin), None).await.0,
        StatusCode::NOT_FOUND
    );
    // The bundled policies were deployed at start.
    let (_, all) = s.call("GET", "/v1/policies", Some(&admin), None).await;
    let ids: Vec<&str> =
        all["policies"].as_array().unwrap().iter().map(|p| p["policy"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "bank-complaints",
            "city-hotline-12345",
            "desk",
            "desk",
            "samr-12315",
            "service-complaints"
        ]
    );
    // New tickets open under the latest version.
    let (_, t) = open(&s, &admin, "V-1", now()).await;
    assert_eq!(t["policy"]["version"], "2");
    s.server.shutdown().await;
}

fn deadline_of(side: &Value) -> DateTime<Utc> {
    side["deadline"].as_str().unwrap().parse().unwrap()
}

async fn migration_previews_then_moves_tickets(db: Db) {
    let (s, admin, agent, viewer) = desk(&db).await;
    let at = now() - TimeDelta::minutes(30);
    open(&s, &agent, "M-1", at).await;
    open(&s, &agent, "M-2", at).await;
    let v2 = DESK.replace("version: '1'", "version: '2'").replace("due: 4h", "due: 2h");
    assert_eq!(s.deploy(&admin, &v2).await.0, StatusCode::CREATED);
    let preview = json!({"how": "recompute", "dry_run": true});
    let (status, answer) =
        s.call("POST", "/v1/policies/desk/migrate", Some(&admin), Some(preview)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!((answer["to"].as_str(), answer["migrated"].as_u64()), (Some("2"), Some(2)));
    let m1 = &answer["tickets"][0];
    assert_eq!(m1["id"], "M-1");
    assert_eq!(deadline_of(&m1["before"]), at + TimeDelta::hours(4));
    assert_eq!(deadline_of(&m1["after"]), at + TimeDelta::hours(2));
    assert_eq!(
        (m1["before"]["version"].as_str(), m1["after"]["version"].as_str()),
        (Some("1"), Some("2"))
    );
    let (_, t) = s.call("GET", "/v1/tickets/M-1", Some(&viewer), None).await;
    assert_eq!(t["policy"]["version"], "1", "a preview changes nothing");

    let one = json!({"how": "recompute", "tickets": ["M-1"]});
    let (_, answer) = s.call("POST", "/v1/policies/desk/migrate", Some(&admin), Some(one)).await;
    assert_eq!(answer["migrated"], 1);
    let (_, t) = s.call("GET", "/v1/tickets/M-1", Some(&viewer), None).await;
    assert_eq!(t["policy"]["version"], "2");
    let deadline: DateTime<Utc> = t["clocks"][0]["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(deadline, at + TimeDelta::hours(2));
    assert_eq!(
        kinds(&t),
        ["opened", "entered", "deadline"],
        "the timeline recomputed under version 2"
    );
    let (_, t2) = s.call("GET", "/v1/tickets/M-2", Some(&viewer), None).await;
    assert_eq!(t2["policy"]["version"], "1");

    // The rest, keeping their deadlines.
    let (_, answer) =
        s.call("POST", "/v1/policies/desk/migrate", Some(&admin), Some(json!({}))).await;
    assert_eq!(
        (answer["how"].as_str(), answer["migrated"].as_u64()),
        (Some("keep_deadlines"), Some(1))
    );
    let (_, t2) = s.call("GET", "/v1/tickets/M-2", Some(&viewer), None).await;
    assert_eq!(t2["policy"]["version"], "2");
    let deadline: DateTime<Utc> = t2["clocks"][0]["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(deadline, at + TimeDelta::hours(4));
    // Migrated tickets take events under the new version.
    let attach = json!({"id": "a", "event": "attach", "artifact": "reply"});
    assert_eq!(send(&s, &agent, "M-1", attach).await.0, StatusCode::OK);
    let (_, answer) = s
        .call("POST", "/v1/policies/desk/migrate", Some(&admin), Some(json!({"tickets": ["nope"]})))
        .await;
    assert_eq!(answer["tickets"][0]["refused"]["code"], "not_found");
    let (status, _) = s
        .call("POST", "/v1/policies/desk/migrate", Some(&admin), Some(json!({"how": "sideways"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.server.shutdown().await;
}

async fn ledger_and_store_export(db: Db) {
    let (s, _admin, agent, viewer) = desk(&db).await;
    // The three openings fall on one day (DESK's calendar is in UTC), so in the month whose
    // report counts them, whatever the time of day the test runs: were a midnight among them,
    // one would belong to the month before.
    let at = now() - TimeDelta::minutes(50);
    let midnight = (at + TimeDelta::minutes(2)).date_naive().and_time(NaiveTime::MIN).and_utc();
    let at = at.max(midnight);
    for (i, id) in ["L-b", "L-a", "L-c"].iter().enumerate() {
        open(&s, &agent, id, at + TimeDelta::minutes(i as i64)).await;
    }
    let attach = json!({"id": "a", "at": rfc(at + TimeDelta::minutes(10)), "event": "attach", "artifact": "reply"});
    send(&s, &agent, "L-a", attach).await;
    send(
        &s,
        &agent,
        "L-a",
        json!({"id": "d", "at": rfc(at + TimeDelta::minutes(11)), "event": "done"}),
    )
    .await;
    send(
        &s,
        &agent,
        "L-b",
        json!({"id": "x", "at": rfc(at + TimeDelta::minutes(12)), "event": "done"}),
    )
    .await; // refused
    let (status, headers, _) = s.raw("GET", "/v1/ledger", Some(&viewer), None).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap()),
        (StatusCode::OK, "application/x-ndjson")
    );
    let ledger = s.text("/v1/ledger?policy=desk", &viewer).await;
    let lines: Vec<Value> = ledger.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            let what = if l["open"].is_object() {
                "open".to_string()
            } else {
                l["event"]["event"].as_str().unwrap().to_string()
            };
            (l["ticket"].as_str().unwrap().to_string(), what)
        })
        .collect();
    let expect =
        [("L-b", "open"), ("L-a", "open"), ("L-c", "open"), ("L-a", "attach"), ("L-a", "done")];
    assert_eq!(summary, expect.map(|(t, w)| (t.to_string(), w.to_string())));
    assert_eq!(
        lines[1],
        json!({"ticket": "L-a", "open": {"at": rfc(at + TimeDelta::minutes(1)).replace("+00:00", "Z"), "fields": {"channel": "phone"}}})
    );
    assert_eq!(s.text("/v1/ledger?policy=desk&version=9", &viewer).await, "");
    assert_eq!(s.text("/v1/ledger?policy=other", &viewer).await, "");
    let store = s.text("/v1/ledger/tickets?policy=desk", &viewer).await;
    let ids: Vec<String> = store
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["L-a", "L-b", "L-c"]);
    // The report, built by the engine from the same ledger.
    let month = (at + TimeDelta::minutes(1)).format("%Y-%m");
    let (status, report) =
        s.call("GET", &format!("/v1/reports/{month}?policy=desk"), Some(&viewer), None).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!((report["tickets"].as_u64(), report["closed"].as_u64()), (Some(3), Some(1)));
    let (status, _) = s.call("GET", "/v1/reports/2026-Q5?policy=desk", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = s.call("GET", "/v1/reports/2026-Q3", Some(&viewer), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    s.server.shutdown().await;
}
