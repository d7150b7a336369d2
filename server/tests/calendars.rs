//! Calendar updates over the API (`POST /v1/calendars`), on SQLite and (with
//! `OMBUD_TEST_POSTGRES`) PostgreSQL: who may deploy one, lint errors, the preview that changes
//! nothing, the deploy that confirms or moves open tickets' provisional deadlines, a repeated
//! deploy, a restart that keeps the deployed calendar, and exports that replay and verify
//! exactly on the calendar file.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use axum::http::StatusCode;
use common::{Db, Running, config};
use serde_json::{Value, json};

on_both!(
    calendar_update_reaches_open_tickets,
    calendar_updates_are_for_admins_and_linted,
    exports_record_calendar_updates,
);

const POLICY: &str = include_str!("../../tests/fixtures/policies/rehearsal-2027.yaml");
const YEAR: &str = include_str!("../../tests/fixtures/calendars/cn-mainland-2027-fixture.yaml");

/// The server without its timers. These tickets open at fixed instants in December 2026, so
/// which of their ladder steps the wall clock has already reached depends on the day the tests
/// run; what a calendar update does to deadlines must not.
fn no_timers(db: &Db) -> ombud_server::Config {
    ombud_server::Config { timers: false, ..config(db) }
}

async fn post_calendar(s: &Running, token: &str, query: &str, yaml: &str) -> (StatusCode, Value) {
    let path = format!("/v1/calendars?name=cn-mainland-2027.yaml{query}");
    let (status, _, bytes) =
        s.raw("POST", &path, Some(token), Some(yaml.as_bytes().to_vec())).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

/// The ticket as `GET /v1/tickets/{id}` shows it, without `clocks` (their share used is as of
/// the request).
async fn ticket(s: &Running, token: &str, id: &str) -> Value {
    let (status, mut view) = s.call("GET", &format!("/v1/tickets/{id}"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view.as_object_mut().unwrap().remove("clocks");
    view
}

fn deadline(view: &Value) -> (&str, bool) {
    let clock = &view["clock"];
    (clock["deadline"].as_str().unwrap(), clock["provisional"].as_bool().unwrap_or(false))
}

fn rows(view: &Value, kind: &str) -> Vec<Value> {
    view["timeline"].as_array().unwrap().iter().filter(|r| r["kind"] == kind).cloned().collect()
}

async fn calendar_update_reaches_open_tickets(db: Db) {
    let s = Running::start(no_timers(&db)).await;
    let admin = s.admin();
    let (status, _, body) = s
        .raw(
            "POST",
            "/v1/policies?name=rehearsal-2027.yaml",
            Some(&admin),
            Some(POLICY.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    // Received Tue 1 Dec 2026 10:00; the day of receipt is not counted.
    for (id, lane) in [("long", "long"), ("normal", "normal")] {
        let open = json!({"policy": "rehearsal-2027", "id": id, "at": "2026-12-01T10:00:00+08:00",
                          "fields": {"lane": lane}});
        let (status, body) = s.call("POST", "/v1/tickets", Some(&admin), Some(open)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // 30 working days: 22 in December (2–4, 7–11, 14–18, 21–25, 28–31), then on the plain
    // workweek Fri 1, Mon 4 – Fri 8, Mon 11 and Tue 12 Jan 2027: the end of Tue 12 Jan, beyond
    // cn-mainland's data, so provisional.
    let before = ticket(&s, &admin, "long").await;
    assert_eq!(deadline(&before), ("2027-01-12T16:00:00Z", true));
    // 7 working days end on Thu 10 Dec: nothing rests on 2027.
    let normal = ticket(&s, &admin, "normal").await;
    assert_eq!(deadline(&normal), ("2026-12-10T16:00:00Z", false));

    // The preview tells what the update does and changes nothing.
    let (status, preview) = post_calendar(&s, &admin, "&preview=true", YEAR).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["calendar"], "cn-mainland-2027-fixture");
    assert_eq!(preview["extends"], "cn-mainland");
    assert_eq!(
        (&preview["open_tickets"], &preview["provisional"], &preview["confirmed"]),
        (&json!(2), &json!(1), &json!(0))
    );
    assert_eq!((&preview["moved"], &preview["largest_move_working_days"]), (&json!(1), &json!(1)));
    assert_eq!(preview["clocks"][0]["ticket"], "long");
    // In the calendar's offset: the end of Wed 13 Jan 2027.
    assert_eq!(preview["clocks"][0]["new"], "2027-01-14T00:00:00+08:00");
    assert_eq!(
        (
            &preview["moves"]["later"],
            &preview["moves"]["earlier"],
            &preview["unchanged_provisional"]
        ),
        (&json!(1), &json!(0), &json!(0))
    );
    assert_eq!(ticket(&s, &admin, "long").await, before, "a preview changes nothing");
    let (_, listed) = s.call("GET", "/v1/calendars", Some(&admin), None).await;
    assert_eq!(listed["calendars"], json!([]));

    // Deploy: New Year's Day (Fri 1 Jan) and the weekend after it are holidays, so the 30th
    // working day is Wed 13 Jan; the deadline is its end, no longer provisional.
    let (status, deployed) = post_calendar(&s, &admin, "", YEAR).await;
    assert_eq!(status, StatusCode::CREATED, "{deployed}");
    assert_eq!((&deployed["moved"], &deployed["created"]), (&json!(1), &json!(true)));
    let after = ticket(&s, &admin, "long").await;
    assert_eq!(deadline(&after), ("2027-01-13T16:00:00Z", false));
    let moved = rows(&after, "recalendared");
    assert_eq!(moved.len(), 1, "{after}");
    assert_eq!(moved[0]["due"], "2027-01-13T16:00:00Z");
    let text = moved[0]["detail"].as_str().or(moved[0]["text"].as_str()).unwrap_or_default();
    assert!(moved[0].to_string().contains("+1 working day"), "{text} {}", moved[0]);
    // `normal`'s deadline and budget stay as they were. (The update first fires what fell due
    // on the old deadlines by the wall clock, so which ladder steps have fired, and whether the
    // clock shows `breached`, depend on the day the test runs.)
    let kept = |view: &Value| {
        let clock = &view["clock"];
        ["started", "budget", "total", "deadline", "provisional"].map(|k| clock[k].clone())
    };
    assert_eq!(kept(&ticket(&s, &admin, "normal").await), kept(&normal));
    // The queue reads the new deadline.
    let (_, queue) = s.call("GET", "/v1/tickets?policy=rehearsal-2027", Some(&admin), None).await;
    let long = queue["tickets"].as_array().unwrap().iter().find(|t| t["id"] == "long").unwrap();
    assert_eq!(
        (&long["deadline"], &long["provisional"]),
        (&json!("2027-01-13T16:00:00Z"), &json!(false))
    );

    // The same file again: nothing more happens.
    let (status, again) = post_calendar(&s, &admin, "", YEAR).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (&again["created"], &again["moved"], &again["confirmed"]),
        (&json!(false), &json!(0), &json!(0))
    );
    assert_eq!(again["already_on_it"], 2);
    assert_eq!(ticket(&s, &admin, "long").await, after);
    // Other content under the deployed id is a conflict.
    let changed = YEAR.replace("to: 2027-02-12", "to: 2027-02-11");
    let (status, body) = post_calendar(&s, &admin, "", &changed).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::CONFLICT, Some("calendar_exists")));

    // A restart keeps the deployed calendar: a new ticket counts on it from its opening.
    s.server.shutdown().await;
    let s = Running::start(no_timers(&db)).await;
    let open = json!({"policy": "rehearsal-2027", "id": "later", "at": "2026-12-01T10:00:00+08:00",
                      "fields": {"lane": "long"}});
    let (status, body) = s.call("POST", "/v1/tickets", Some(&admin), Some(open)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(deadline(&ticket(&s, &admin, "later").await), ("2027-01-13T16:00:00Z", false));
    let (_, listed) = s.call("GET", "/v1/calendars", Some(&admin), None).await;
    assert_eq!(listed["calendars"][0]["id"], "cn-mainland-2027-fixture");
    assert_eq!(listed["calendars"][0]["current"], true);
    // An update that covers less than the deployed one (January 2027 only, where the fixture
    // covers to 31 March) would count February and March on the plain workweek again: refused,
    // in the preview and the deploy, and nothing is stored.
    let january = "id: cn-mainland-2027-jan\nextends: cn-mainland\n\
                   covers: {from: 2024-01-01, to: 2027-01-31}\n\
                   holidays:\n  - {name: New Year's Day, from: 2027-01-01, to: 2027-01-03}\n";
    for query in ["&preview=true", ""] {
        let (status, body) = post_calendar(&s, &admin, query, january).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "calendar_mismatch");
        assert_eq!(
            body["message"],
            "calendar `cn-mainland-2027-jan` cannot replace `cn-mainland-2027-fixture`: it covers \
             2024-01-01 to 2027-01-31 and leaves out 2027-02-01 to 2027-03-31, which \
             `cn-mainland-2027-fixture` covers"
        );
    }
    // An update with business hours and a cutoff the deployed calendar does not have would
    // recount every open ticket's working time: refused the same way.
    let hours = format!(
        "{}hours: \"09:00-17:00\"\ncutoff: \"16:00\"\n",
        YEAR.replace("id: cn-mainland-2027-fixture", "id: cn-mainland-2027-hours")
    );
    for query in ["&preview=true", ""] {
        let (status, body) = post_calendar(&s, &admin, query, &hours).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "calendar_mismatch");
        assert_eq!(
            body["message"],
            "calendar `cn-mainland-2027-hours` cannot replace `cn-mainland-2027-fixture`: its \
             business hours are \"09:00-17:00\", those of `cn-mainland-2027-fixture` none (whole \
             days); its cutoff is \"16:00\", that of `cn-mainland-2027-fixture` none"
        );
        assert!(
            body["hint"].as_str().unwrap().ends_with(
                "and keeps its business hours and cutoff: no `hours` or `cutoff` in the file"
            ),
            "{body}"
        );
    }
    let (_, listed) = s.call("GET", "/v1/calendars", Some(&admin), None).await;
    assert_eq!(listed["calendars"].as_array().unwrap().len(), 1);
    s.server.shutdown().await;
}

async fn calendar_updates_are_for_admins_and_linted(db: Db) {
    let s = Running::start(no_timers(&db)).await;
    let admin = s.admin();
    let agent = s.token(&admin, "agent", "li.wei").await;
    let viewer = s.token(&admin, "viewer", "auditor").await;
    let (status, _, _) = s.raw("POST", "/v1/calendars", None, Some(YEAR.as_bytes().to_vec())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    for token in [&agent, &viewer] {
        assert_eq!(post_calendar(&s, token, "", YEAR).await.0, StatusCode::FORBIDDEN);
        assert_eq!(post_calendar(&s, token, "&preview=true", YEAR).await.0, StatusCode::FORBIDDEN);
    }
    assert_eq!(s.call("GET", "/v1/calendars", Some(&viewer), None).await.0, StatusCode::OK);

    // A broken calendar: every mistake, located.
    let broken = YEAR.replace("from: 2027-02-05", "from: 2027-02-30");
    let (status, body) = post_calendar(&s, &admin, "", &broken).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_calendar"))
    );
    let d = &body["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str()),
        (Some("E0506"), Some("cn-mainland-2027.yaml"))
    );
    assert_eq!(d["line"], 16, "{body}");
    // A file path in `extends` is refused before anything reads it.
    let path = YEAR.replace("extends: cn-mainland", "extends: ../../holidays/cn-mainland.yaml");
    let (status, body) = post_calendar(&s, &admin, "", &path).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let d = &body["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), &d["line"], &d["column"]),
        (Some("E0507"), &json!(12), &json!(10))
    );
    // So is a calendar that extends nothing: it would stand in for no calendar a policy names.
    let alone =
        "id: alone\ntimezone: UTC\nworkweek: [mon, tue, wed, thu, fri]\ncovers: unbounded\n";
    let (status, body) = post_calendar(&s, &admin, "", alone).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["diagnostics"][0]["code"], "E0508");
    let (_, listed) = s.call("GET", "/v1/calendars", Some(&admin), None).await;
    assert_eq!(listed["calendars"], json!([]));
    s.server.shutdown().await;
}

/// Deploying a calendar update writes a `calendar` ledger line for every open ticket it brings
/// onto the update, and a ticket opened afterwards has an opening line on it, so the exports are
/// the complete record: the ledger, replayed with the calendar file given (as `ombud audit verify
/// --policy P --calendar F LEDGER --tickets STORE` does), produces exactly the stored chains.
async fn exports_record_calendar_updates(db: Db) {
    use ombud_engine::ledger::{
        CalendarUpdates, ReplayOptions, compare_with_ledger, ledger_chains, ledger_tickets, replay,
    };
    use ombud_engine::{Calendar, Engine, Ticket, load_policy, policy::load_policy_on_calendar};

    let s = Running::start(no_timers(&db)).await;
    let admin = s.admin();
    let (status, _, body) = s
        .raw(
            "POST",
            "/v1/policies?name=rehearsal-2027.yaml",
            Some(&admin),
            Some(POLICY.as_bytes().to_vec()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    // `long` (30 working days from Tue 1 Dec 2026: provisional, moved by the update),
    // `normal` (7 working days: nothing rests on 2027) and `waiting` (30 working days, paused
    // the next day, so its clock holds the time left).
    for (id, lane) in [("long", "long"), ("normal", "normal"), ("waiting", "long")] {
        let open = json!({"policy": "rehearsal-2027", "id": id, "at": "2026-12-01T10:00:00+08:00",
                          "fields": {"lane": lane}});
        let (status, body) = s.call("POST", "/v1/tickets", Some(&admin), Some(open)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let wait = json!({"id": "w-1", "at": "2026-12-02T10:00:00+08:00", "event": "wait"});
    let (status, body) =
        s.call("POST", "/v1/tickets/waiting/events", Some(&admin), Some(wait)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, deployed) = post_calendar(&s, &admin, "", YEAR).await;
    assert_eq!(status, StatusCode::CREATED, "{deployed}");
    assert_eq!(deployed["open_tickets"], 3, "{deployed}");
    // After the update: an event on a ticket brought onto it, and a ticket opened on it.
    let back = json!({"id": "b-1", "event": "back"});
    let (status, body) =
        s.call("POST", "/v1/tickets/waiting/events", Some(&admin), Some(back)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let open = json!({"policy": "rehearsal-2027", "id": "later", "at": "2026-12-01T11:00:00+08:00",
                      "fields": {"lane": "long"}});
    let (status, body) = s.call("POST", "/v1/tickets", Some(&admin), Some(open)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let ledger = s.text("/v1/ledger", &admin).await;
    let store = s.text("/v1/ledger/tickets", &admin).await;
    // The server's report replays its ledger on the deployed update: every ticket counts.
    let (status, report) =
        s.call("GET", "/v1/reports/2026-12?policy=rehearsal-2027", Some(&admin), None).await;
    assert_eq!((status, &report["tickets"]), (StatusCode::OK, &json!(4)), "{report}");
    s.server.shutdown().await;
    let lines: Vec<Value> = ledger.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // One calendar line per ticket the deploy brought onto the update, whether or not a clock
    // of it moved; the later opening names the update.
    let mut updated: Vec<&str> = lines
        .iter()
        .filter(|l| l["calendar"]["id"] == "cn-mainland-2027-fixture")
        .map(|l| l["ticket"].as_str().unwrap())
        .collect();
    updated.sort_unstable();
    assert_eq!(updated, ["long", "normal", "waiting"], "{ledger}");
    let later = lines.iter().find(|l| l["ticket"] == "later").unwrap();
    assert_eq!(later["open"]["calendar"], "cn-mainland-2027-fixture", "{later}");
    let stored: Vec<Ticket> = store.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(stored.len(), 4);

    // What the CLI loads for `--policy rehearsal-2027.yaml --calendar cn-mainland-2027.yaml`.
    let engine = Engine::new(load_policy("rehearsal-2027.yaml", POLICY, None).unwrap().0.into());
    let year = Calendar::from_yaml("cn-mainland-2027.yaml", YEAR, None).unwrap();
    let on = load_policy_on_calendar("rehearsal-2027.yaml", POLICY, None, year.into()).unwrap().0;
    let mut updates = CalendarUpdates::default();
    updates.insert(vec![Engine::new(on.into())]);

    // `audit verify --policy P --calendar F LEDGER --tickets STORE`: no mismatch, no malformed
    // line.
    let (chains, errors) = ledger_chains(&engine, &updates, ledger.as_bytes()).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(compare_with_ledger(&chains, &stored), []);
    // `long`'s chain: its opening, then the update that moved its deadline (a record), made by
    // its calendar line.
    let long = stored.iter().find(|t| t.id() == "long").unwrap();
    let entries: Vec<Value> =
        long.history().iter().map(|r| serde_json::to_value(&r.entry).unwrap()).collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[1]["calendar"], "cn-mainland-2027-fixture");
    let long_line = lines.iter().position(|l| l["ticket"] == "long" && l["calendar"].is_object());
    let chain = chains.iter().find(|c| c.ticket == "long").unwrap();
    assert_eq!(chain.lines[1], long_line.unwrap() as u64 + 1);

    // Replay reaches exactly the stored tickets: the same chains, stages and deadlines.
    let (replayed, _) = ledger_tickets(&engine, &updates, ledger.as_bytes()).unwrap();
    assert_eq!(replayed.len(), stored.len());
    for (ticket, _) in &replayed {
        let kept = stored.iter().find(|t| t.id() == ticket.id()).unwrap();
        assert_eq!(ticket.history(), kept.history(), "ticket `{}`", ticket.id());
        assert_eq!(ticket.stage(), kept.stage());
        let clock = |t: &Ticket| serde_json::to_value(t.clock()).unwrap();
        assert_eq!(clock(ticket), clock(kept), "ticket `{}`", ticket.id());
    }
    let options = ReplayOptions { calendars: Some(&updates), ..ReplayOptions::default() };
    let result = replay(std::slice::from_ref(&engine), ledger.as_bytes(), &options).unwrap();
    assert_eq!((result.skipped, result.figures[0].tickets), (0, 4));

    // Without the calendar file, the first line naming it is located.
    let (_, errors) =
        ledger_chains(&engine, &CalendarUpdates::default(), ledger.as_bytes()).unwrap();
    let first = lines
        .iter()
        .position(|l| l["calendar"].is_object() || l["open"]["calendar"].is_string())
        .unwrap();
    assert_eq!(
        errors[0].to_string(),
        format!(
            "line {}: calendar `cn-mainland-2027-fixture` is not given; pass --calendar FILE",
            first + 1
        )
    );
}
