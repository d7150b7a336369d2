//! Events: what fires first, refusals that change nothing, `set`, automatic transitions, marks.

use crate::common::*;
use ombud_engine::runtime::{Engine, Event, EventKind, OpenTicket, Rejection, RowKind, Ticket};
use serde_json::json;

#[test]
fn events_fire_due_steps_first_so_advance_is_optional() {
    let e = engine();
    let mut a = in_work(&e, "2026-02-13T18:00:00+08:00", json!({}));
    let mut b = a.clone();
    let attach = Event::attach("report", t("2026-02-27T10:00:00+08:00"));
    let done = ev("done", "2026-02-27T11:00:00+08:00");
    let mut rows_a = Vec::new();
    for ev in [&attach, &done] {
        rows_a.extend(e.apply(&mut a, ev).unwrap().rows);
    }
    let mut rows_b = e.advance(&mut b, t("2026-02-26T12:00:00+08:00")).unwrap().rows;
    for ev in [&attach, &done] {
        rows_b.extend(e.apply(&mut b, ev).unwrap().rows);
    }
    assert_eq!(rows_a, rows_b);
    assert_eq!(a, b);
    assert!(a.is_closed());
    assert_eq!(a.stats().breaches, 1);
}

#[test]
fn rejected_events_leave_the_ticket_byte_for_byte_unchanged() {
    let e = engine();
    let mut ticket = in_work(
        &e,
        "2026-03-02T10:00:00+08:00",
        json!({"amount": 6000, "departments": ["billing", "network"]}),
    );
    let cases: Vec<(Event, &str)> = vec![
        (ev("confirmed", "2026-03-02T11:00:00+08:00"), "not_accepted"),
        (ev("done", "2026-03-02T11:00:00+08:00"), "missing_artifacts"),
        (ev("take", "2026-03-01T11:00:00+08:00"), "out_of_order"),
        (Event::attach("reprot", t("2026-03-02T11:00:00+08:00")), "bad_event"),
        (
            Event::set(
                serde_json::from_value(json!({"amount": "x"})).unwrap(),
                t("2026-03-02T11:00:00+08:00"),
            ),
            "wrong_type",
        ),
        (
            Event::set(
                serde_json::from_value(json!({"colour": 1})).unwrap(),
                t("2026-03-02T11:00:00+08:00"),
            ),
            "unknown_field",
        ),
        (Event::member_done("legal", t("2026-03-02T11:00:00+08:00")), "bad_event"),
        (ev("back", "2026-03-02T11:00:00+08:00"), "bad_event"),
    ];
    // A key that belongs to another event is refused as the event is read, not dropped: an
    // `attach` that names a tier, a `member_done` that names a person.
    let at = "2026-03-02T11:00:00+08:00";
    assert_eq!(
        unreadable(json!({"at": at, "event": "attach", "artifact": "report", "to": "supervisor"})),
        "`attach` takes no `to` (only `reassign` does); send the `to` as a separate `reassign` \
         event; a transition's next stage comes from the policy, and `to` names a tier"
    );
    assert_eq!(
        unreadable(
            json!({"at": at, "event": "member_done", "member": "billing", "assignee": "li.wei"})
        ),
        "`member_done` takes no `assignee` (only `reassign` does); send the `assignee` as a \
         separate `reassign` event"
    );
    for (event, code) in cases {
        let before = serde_json::to_string(&ticket).unwrap();
        let err = e.apply(&mut ticket, &event).unwrap_err();
        assert_eq!(err.code(), code, "{event:?}: {err}");
        assert_eq!(serde_json::to_string(&ticket).unwrap(), before, "{code} changed the ticket");
    }
    // With the report attached, the group still blocks; the guard blocks `approve` (6000 ≥ 5000).
    e.apply(&mut ticket, &Event::attach("report", t("2026-03-02T12:00:00+08:00"))).unwrap();
    let before = serde_json::to_string(&ticket).unwrap();
    let err = e.apply(&mut ticket, &ev("done", "2026-03-02T12:30:00+08:00")).unwrap_err();
    assert!(
        matches!(&err, Rejection::GroupPending { pending, .. } if pending == &["billing", "network"])
    );
    let err = e.apply(&mut ticket, &ev("approve", "2026-03-02T12:30:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "guard_false");
    assert_eq!(serde_json::to_string(&ticket).unwrap(), before);
}

#[test]
fn set_rederives_and_starts_obligations() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    assert_eq!(ticket.fields()["severity"], json!("general"));
    let data = serde_json::from_value(json!({"amount": 15000})).unwrap();
    e.apply(&mut ticket, &Event::set(data, t("2026-03-02T11:00:00+08:00"))).unwrap();
    assert_eq!(ticket.fields()["severity"], json!("major"));
    assert!(ticket.obligations().contains_key("statement"));
}

#[test]
fn auto_transition_is_taken_on_entry() {
    let e = engine();
    let ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"urgent": true}));
    assert_eq!(ticket.stage(), "fast");
    assert_eq!(ticket.tier(), Some("management"));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-02T11:00:00+08:00"));
}

#[test]
fn marks_are_recorded_against_the_tier_and_the_person_who_held_the_ticket() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-02-13T18:00:00+08:00", json!({"amount": 2000}));
    assert_eq!((ticket.tier(), ticket.assignee()), (Some("supervisor"), None));
    // The host names the supervisor's person; a refusal names what is missing.
    let named =
        e.apply(&mut ticket, &Event::assign("li.wei", t("2026-02-13T18:05:00+08:00"))).unwrap();
    assert_eq!(named.rows[0].detail, "assigned to li.wei (supervisor) by event");
    assert_eq!(ticket.assignee(), Some("li.wei"));
    let bare = Event::named("reassign", t("2026-02-13T18:06:00+08:00"));
    assert_eq!(e.apply(&mut ticket, &bare).unwrap_err().code(), "bad_event");
    // A person sent with a transition is refused rather than lost, and the refusal says where
    // the person goes.
    let with_person =
        json!({"at": "2026-02-13T18:06:00+08:00", "event": "approve", "assignee": "zhao.lei"});
    assert_eq!(
        unreadable(with_person),
        "`approve` takes no `assignee` (only `reassign` does); send the `assignee` as a \
         separate `reassign` event"
    );
    assert_eq!(
        e.next_actions(&ticket, t("2026-02-13T18:06:00+08:00")).unwrap().assignee.as_deref(),
        Some("li.wei")
    );

    // The 100 % step escalates to management and marks the supervisor tier and li.wei; the
    // ticket is now management's, and nobody there is named yet.
    let out = e.advance(&mut ticket, t("2026-03-03T00:00:00+08:00")).unwrap();
    let mark = ticket.marks().last().unwrap();
    assert_eq!(
        (mark.mark.as_str(), mark.tier.as_str(), mark.assignee.as_deref()),
        ("performance", "supervisor", Some("li.wei"))
    );
    let action = out.actions.iter().find(|a| a.mark.is_some()).unwrap();
    assert_eq!(
        (action.tier.as_deref(), action.against.as_deref(), action.assignee.as_deref()),
        (Some("management"), Some("supervisor"), Some("li.wei"))
    );
    assert!(
        out.rows
            .iter()
            .any(|r| r.detail.ends_with("mark `performance` against supervisor (li.wei)"))
    );
    assert_eq!((ticket.tier(), ticket.assignee()), (Some("management"), None));

    // A tier and a person at once; a reassign to the same tier keeps the person.
    e.apply(
        &mut ticket,
        &Event {
            at: t("2026-03-03T09:00:00+08:00"),
            kind: EventKind::Reassign {
                to: Some("supervisor".into()),
                assignee: Some("wang.fang".into()),
            },
            by: None,
        },
    )
    .unwrap();
    assert_eq!((ticket.tier(), ticket.assignee()), (Some("supervisor"), Some("wang.fang")));
    e.apply(&mut ticket, &Event::reassign("supervisor", t("2026-03-03T09:30:00+08:00"))).unwrap();
    assert_eq!(ticket.assignee(), Some("wang.fang"));

    // The assignee is part of the state the audit chain seals, and round-trips through JSON.
    let json = serde_json::to_string(&ticket).unwrap();
    assert!(json.contains(r#""assignee":"wang.fang""#));
    let back: Ticket = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ticket);
    let unnamed = edited(&ticket, |json| {
        json.as_object_mut().unwrap().remove("assignee");
    });
    assert_ne!(
        ombud_engine::runtime::state_digest(&unnamed),
        ombud_engine::runtime::state_digest(&ticket)
    );
}

#[test]
fn autos_wait_for_required_artifacts_and_follow_attach_and_set() {
    let e = Engine::new(compile(AUTOS));
    // The condition holds at the opening, but `check` cannot be left without its form.
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"ok": true}));
    assert_eq!(ticket.stage(), "check");
    // Attaching it takes the auto, and `review`'s own auto follows at once.
    let out = e.apply(&mut ticket, &Event::attach("form", t("2026-03-02T10:30:00+08:00"))).unwrap();
    assert!(ticket.is_closed());
    let entered: Vec<_> = out
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Entered)
        .map(|r| r.stage.as_deref().unwrap())
        .collect();
    assert_eq!(entered, ["review", "done"]);

    // With the form but a false condition, a `set` that makes it true takes the autos.
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({"ok": false}));
    e.apply(&mut ticket, &Event::attach("form", t("2026-03-02T10:30:00+08:00"))).unwrap();
    assert_eq!(ticket.stage(), "check");
    let data = serde_json::from_value(json!({"ok": true})).unwrap();
    e.apply(&mut ticket, &Event::set(data, t("2026-03-02T11:00:00+08:00"))).unwrap();
    assert_eq!(
        (ticket.stage(), ticket.closed_at()),
        ("done", Some(t("2026-03-02T11:00:00+08:00")))
    );
}

#[test]
fn a_guard_that_cannot_be_evaluated_refuses_the_event_and_changes_nothing() {
    let policy = r#"
policy: guards
version: "1"
calendar: cn-mainland
fields:
  departments: { type: list }
  text: { type: string }
tiers: [agent]
start: a
stages:
  a:
    owner: agent
    due: 1h
    on:
      index: { to: b, when: 'departments[3] == "x"' }
  b: { terminal: true }
"#;
    let e = Engine::new(compile(policy));
    let mut ticket =
        open(&e, "2026-03-02T10:00:00+08:00", json!({"departments": ["a"], "text": "x"}));
    let before = serde_json::to_string(&ticket).unwrap();
    // An index past the end of the list is an error, not false: the event is refused, saying
    // which condition failed.
    let err = e.apply(&mut ticket, &ev("index", "2026-03-02T10:30:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "evaluation", "{err}");
    assert!(err.to_string().starts_with("condition `departments[3] == \"x\"` failed"), "{err}");
    assert_eq!(serde_json::to_string(&ticket).unwrap(), before);
}

/// Only a recorded `set` gave values: data an older build kept on another event (and never
/// applied) does not pin a computed field against its rules.
#[test]
fn only_recorded_set_events_count_as_given_values() {
    let e = reference();
    let input = OpenTicket {
        id: "G-1".into(),
        at: t("2026-03-02T10:00:00+08:00"),
        fields: serde_json::from_value(json!({"text": "overcharged on my bill"})).unwrap(),
    };
    let (mut ticket, _) = e.open(&input).unwrap();
    assert_eq!(ticket.fields()["category"], json!("fees"));
    e.apply(&mut ticket, &ev("registered", "2026-03-02T10:10:00+08:00")).unwrap();
    // What an older build stored: `registered` with stray data, applied without it.
    let last = ticket.history().len() - 1;
    let mut ticket = edited(&ticket, |json| {
        json["history"][last]["entry"]["data"] = json!({"category": "contract"});
    });
    let text = serde_json::from_value(json!({"text": "a gas leak, fire hazard"})).unwrap();
    e.apply(&mut ticket, &Event::set(text, t("2026-03-02T10:20:00+08:00"))).unwrap();
    assert_eq!(
        ticket.fields()["category"],
        json!("safety"),
        "the rules decide, not the stray data"
    );
}
