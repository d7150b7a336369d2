//! Opening a ticket: field checks, defaults, derived values, conditions that cannot be evaluated.

use crate::common::*;
use ombud_engine::runtime::{Engine, Event, Migration, OpenTicket, Rejection, RowKind};
use serde_json::json;

#[test]
fn open_checks_fields_applies_defaults_and_derives() {
    let e = engine();
    let ticket = open(&e, "2026-03-02T09:00:00+08:00", json!({"amount": 2500, "kind": "a"}));
    assert_eq!(ticket.fields()["severity"], json!("major"));
    assert_eq!(ticket.fields()["text"], json!(""));
    assert_eq!(ticket.stage(), "new");
    assert_eq!(ticket.tier(), Some("frontline"));
    let deadline = ticket.clock().unwrap().deadline;
    assert_eq!(deadline, t("2026-03-02T11:00:00+08:00"));

    let bad = |fields: serde_json::Value| {
        let input = OpenTicket {
            id: "T-2".into(),
            at: t("2026-03-02T09:00:00+08:00"),
            fields: serde_json::from_value(fields).unwrap(),
        };
        e.open(&input).unwrap_err()
    };
    assert!(
        matches!(bad(json!({"amont": 1})), Rejection::UnknownField { hint: Some(h), .. } if h == "amount")
    );
    assert!(matches!(bad(json!({"amount": "lots"})), Rejection::WrongType { .. }));
    assert!(matches!(bad(json!({"kind": "c"})), Rejection::NotInEnum { .. }));
    assert!(matches!(bad(json!({"departments": "billing"})), Rejection::WrongType { .. }));
}

#[test]
fn keyword_rules_restart_pauses_and_reassign_steps() {
    let e = Engine::new(compile(SECOND));
    let mut ticket = open(&e, "2026-03-02T08:00:00Z", json!({"text": "The INVOICE is wrong"}));
    assert_eq!(ticket.fields()["topic"], json!("billing"));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-02T16:00:00Z"));
    // deadline − 2h hands the stage to the lead; the 90 % notify is skipped (not a VIP);
    // at 100 % the ticket goes back to its owner, the agent.
    let out = e.advance(&mut ticket, t("2026-03-02T16:00:00Z")).unwrap();
    let kinds: Vec<_> =
        out.rows.iter().map(|r| (r.at, r.kind, r.tier.as_deref().unwrap().to_string())).collect();
    assert_eq!(
        kinds,
        [
            (t("2026-03-02T14:00:00Z"), RowKind::Reassign, "lead".to_string()),
            (t("2026-03-02T16:00:00Z"), RowKind::Breach, "lead".to_string()),
            (t("2026-03-02T16:00:00Z"), RowKind::Escalate, "agent".to_string()),
        ]
    );
    // A restart pause grants the full 8 h again from the resume, and re-arms the ladder.
    e.apply(&mut ticket, &ev("hold", "2026-03-02T17:00:00Z")).unwrap();
    e.apply(&mut ticket, &ev("unhold", "2026-03-03T09:00:00Z")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-03T17:00:00Z"));
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-03-03T15:00:00Z")));
    // A reassign event moves responsibility; an unknown tier is refused.
    e.apply(&mut ticket, &Event::reassign("head", t("2026-03-03T10:00:00Z"))).unwrap();
    assert_eq!(ticket.tier(), Some("head"));
    let err =
        e.apply(&mut ticket, &Event::reassign("boss", t("2026-03-03T10:00:00Z"))).unwrap_err();
    assert_eq!(err.code(), "bad_event");
}

#[test]
fn a_null_value_is_not_given_so_the_rules_decide() {
    let e = reference();
    let input = OpenTicket {
        id: "T-9".into(),
        at: t("2026-03-02T10:00:00+08:00"),
        fields: serde_json::from_value(
            json!({"channel": "app", "text": "重复计费 in February", "category": null}),
        )
        .unwrap(),
    };
    let (mut ticket, _) = e.open(&input).unwrap();
    assert_eq!(ticket.fields()["category"], json!("fees"));
    // Given by a `set`, the value wins over the rules; set to null, the rules decide again.
    let set = |v: serde_json::Value, at: &str| {
        Event::set(serde_json::from_value(json!({ "category": v })).unwrap(), t(at))
    };
    e.apply(&mut ticket, &set(json!("safety"), "2026-03-02T11:00:00+08:00")).unwrap();
    assert_eq!(
        (&ticket.fields()["category"], &ticket.fields()["severity"]),
        (&json!("safety"), &json!("major"))
    );
    e.apply(&mut ticket, &set(json!(null), "2026-03-02T12:00:00+08:00")).unwrap();
    assert_eq!(
        (&ticket.fields()["category"], &ticket.fields()["severity"]),
        (&json!("fees"), &json!("general"))
    );
}

/// A list bigger than the expression sandbox reads (more entries, or more text in all) is
/// refused at the input, naming the field, rather than failing every condition that reads it:
/// a failing derive rule would otherwise classify the ticket as if the value were absent.
#[test]
fn a_list_beyond_the_sandbox_limits_is_refused_at_the_input() {
    let policy = "policy: l\ncalendar: weekdays\nfields:\n  departments: { type: list }\n\
                  derive:\n  billing:\n    - { value: true, when: '\"billing\" in departments' }\n\
                  \x20   - { value: false }\ntiers: [agent]\nstart: open\nstages:\n\
                  \x20 open: { owner: agent, due: 4h, on: { done: closed } }\n\
                  \x20 closed: { terminal: true }\n";
    let e = Engine::new(compile(policy));
    let departments = |n: usize, len: usize| -> Vec<String> {
        (1..n).map(|i| format!("{i:0len$}")).chain(["billing".to_string()]).collect()
    };
    let fields =
        |list: Vec<String>| serde_json::from_value(json!({ "departments": list })).unwrap();
    let opening =
        |list| OpenTicket { id: "L-1".into(), at: t("2026-03-02T09:00:00Z"), fields: fields(list) };
    // At the limits: 1,024 entries; 655 × 100 bytes and `billing` is 65,507 bytes of text.
    for list in [departments(1024, 4), departments(656, 100)] {
        let (ticket, _) = e.open(&opening(list)).unwrap();
        assert_eq!(ticket.fields()["billing"], json!(true));
    }
    let over = [
        (departments(1025, 4), "1025 list entries, 0 map entries, 4103 bytes of text"),
        (departments(657, 100), "657 list entries, 0 map entries, 65607 bytes of text"),
    ];
    for (list, got) in over {
        let err = e.open(&opening(list)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "field `departments` must be at most 1024 list entries, 256 map entries and \
                 65536 bytes of text in all, got {got}"
            )
        );
    }
    // The same through `set`, and the ticket is left as it was.
    let (mut ticket, _) = e.open(&opening(departments(3, 4))).unwrap();
    let before = ticket.clone();
    let set = Event::set(fields(departments(1025, 4)), t("2026-03-02T10:00:00Z"));
    assert_eq!(e.apply(&mut ticket, &set).unwrap_err().code(), "wrong_type");
    assert_eq!(ticket, before);
}

/// A condition that cannot be evaluated counts as false, and the outcome says which and why:
/// at the opening (derive rules, the start stage's owner), after a `set` (derive rules again),
/// once per call however often it was evaluated.
#[test]
fn conditions_that_cannot_be_evaluated_count_as_false_and_are_reported() {
    let e = Engine::new(compile(
        r#"
policy: picky
calendar: cn-mainland
fields:
  tags: { type: list, default: [] }
  n: { type: int, default: 0 }
derive:
  lane:
    - { value: vip, when: 'tags[1] == "vip"' }
    - { value: normal }
tiers: [frontline, supervisor]
start: new
stages:
  new:
    owner: [ { when: '10 / n > 1', tier: supervisor }, { tier: frontline } ]
    due: 2h
    on:
      take: closed
      escalate: { to: closed, when: 'tags[3] == "urgent"' }
  closed: { terminal: true }
obligations:
  press: { when: 'tags[2] == "press"', due: 72h, owner: supervisor, done_on: take }
"#,
    ));
    let input = OpenTicket {
        id: "P-1".into(),
        at: t("2026-03-02T09:00:00+08:00"),
        fields: serde_json::from_value(json!({"tags": ["new"]})).unwrap(),
    };
    let (mut ticket, opened) = e.open(&input).unwrap();
    // Both conditions failed, so the next entry of each applied.
    assert_eq!(
        (ticket.fields()["lane"].as_str(), ticket.tier()),
        (Some("normal"), Some("frontline"))
    );
    let failed: Vec<(&str, bool)> = opened
        .condition_errors
        .iter()
        .map(|c| (c.condition.as_str(), c.message.is_empty()))
        .collect();
    assert_eq!(
        failed,
        [(r#"tags[1] == "vip""#, false), ("10 / n > 1", false), (r#"tags[2] == "press""#, false)]
    );
    assert!(ticket.obligations().is_empty(), "the obligation's condition counted as false");
    // A guard that cannot be evaluated blocks its event in the next actions, saying why; applying
    // the event is refused.
    let next = e.next_actions(&ticket, t("2026-03-02T09:05:00+08:00")).unwrap();
    let escalate = next.events.iter().find(|a| a.event == "escalate").unwrap();
    assert!(
        escalate.blocked_by[0]
            .starts_with(r#"condition `tags[3] == "urgent"` cannot be evaluated: "#),
        "{:?}",
        escalate.blocked_by
    );
    let refused = e.apply(&mut ticket.clone(), &ev("escalate", "2026-03-02T09:05:00+08:00"));
    assert_eq!(refused.unwrap_err().code(), "evaluation");
    // `set` derives again: with no tags the rule fails again; with three it holds, and nothing
    // is reported.
    let set = |at: &str, tags: serde_json::Value| {
        Event::set(serde_json::from_value(json!({ "tags": tags })).unwrap(), t(at))
    };
    let still = e.apply(&mut ticket, &set("2026-03-02T09:10:00+08:00", json!([]))).unwrap();
    let failed: Vec<&str> = still.condition_errors.iter().map(|c| c.condition.as_str()).collect();
    assert_eq!(failed, [r#"tags[1] == "vip""#, r#"tags[2] == "press""#]);
    let fixed =
        e.apply(&mut ticket, &set("2026-03-02T09:20:00+08:00", json!(["a", "vip", "x"]))).unwrap();
    assert!(fixed.condition_errors.is_empty());
    assert_eq!(ticket.fields()["lane"], "vip");
    // `Migration::Recompute` replays the history and reports what the whole replay met: the
    // opening's three, and the empty list's two, which fail for another reason (once per reason).
    let (_, recomputed) = e.migrate(&ticket, Migration::Recompute).unwrap();
    let failed: Vec<&str> =
        recomputed.condition_errors.iter().map(|c| c.condition.as_str()).collect();
    let (vip, press) = (r#"tags[1] == "vip""#, r#"tags[2] == "press""#);
    assert_eq!(failed, [vip, "10 / n > 1", press, vip, press]);
    // Left out of the JSON when empty.
    assert!(serde_json::to_value(&fixed).unwrap().get("condition_errors").is_none());
    assert!(serde_json::to_value(&still).unwrap().get("condition_errors").is_some());
}
