//! Ladder steps: escalations with nowhere higher to go, notify targets, steps moved by a resume.

use crate::common::*;
use ombud_engine::runtime::{ActionKind, Engine, Event, RowKind};
use serde_json::json;

#[test]
fn an_escalation_with_nowhere_higher_to_go_notifies_and_is_not_counted() {
    let e = engine();
    // `urgent` takes the automatic transition to `fast`, owned by management, the top tier.
    let mut ticket = open(&e, "2026-03-02T09:00:00+08:00", json!({"urgent": true}));
    assert_eq!(ticket.stage(), "fast");
    assert_eq!(ticket.tier(), Some("management"));
    let out = e.advance(&mut ticket, t("2026-03-02T10:30:00+08:00")).unwrap();
    // At 100 % (10:00) the `escalate to: next` step finds management already holding it.
    let step = out
        .rows
        .iter()
        .find(|r| r.at == t("2026-03-02T10:00:00+08:00") && r.kind != RowKind::Breach);
    let step = step.unwrap();
    assert_eq!(step.kind, RowKind::Notify);
    assert!(step.detail.starts_with("already with management"), "{}", step.detail);
    assert_eq!(ticket.stats().escalations, 0);
    assert_eq!(ticket.tier(), Some("management"));
    assert!(out.actions.iter().all(|a| a.kind != ActionKind::Escalate));
    assert!(
        out.actions
            .iter()
            .any(|a| a.kind == ActionKind::Notify && a.tier.as_deref() == Some("management"))
    );
    // The performance mark is still recorded against the tier that held the ticket.
    assert_eq!(ticket.marks().len(), 1);
    assert_eq!(ticket.marks()[0].tier, "management");
}

#[test]
fn advancing_a_closed_ticket_changes_nothing() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &Event::attach("report", t("2026-03-02T11:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("done", "2026-03-02T12:00:00+08:00")).unwrap();
    let closed = serde_json::to_string(&ticket).unwrap();
    let out = e.advance(&mut ticket, t("2026-04-01T00:00:00+08:00")).unwrap();
    assert!(out.rows.is_empty());
    assert_eq!(out.next_wakeup, None);
    assert_eq!(serde_json::to_string(&ticket).unwrap(), closed);
}

#[test]
fn a_step_a_resume_moves_into_the_past_fires_at_the_resume() {
    let policy = r#"
policy: short-remaining
version: "1"
calendar: { id: cn-mainland, hours: "09:00-17:00", timezone: Asia/Shanghai }
tiers: [agent, lead]
ladders:
  warn:
    - { at: deadline - 2h, do: notify, notify: lead }
start: work
stages:
  work: { owner: agent, due: 9 working hours, ladder: warn, on: { done: closed } }
  closed: { terminal: true }
pause:
  - { on: hold, resume_on: unhold, resume: remaining }
"#;
    let e = Engine::new(compile(policy));
    // Mon 2 Mar 09:00 + 9 working hours: Tue 3 Mar 10:00; the notice would be at 08:00.
    let mut ticket = open(&e, "2026-03-02T09:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-03T10:00:00+08:00"));
    // Held Mon 16:30 with 1.5 working hours left; resumed Tue 09:30: due 11:00, so the notice
    // (09:00) is already late. It fires at the resume, not before it.
    e.apply(&mut ticket, &ev("hold", "2026-03-02T16:30:00+08:00")).unwrap();
    let out = e.apply(&mut ticket, &ev("unhold", "2026-03-03T09:30:00+08:00")).unwrap();
    assert_eq!(
        kinds(&out.rows),
        [
            (t("2026-03-03T09:30:00+08:00"), RowKind::Resumed),
            (t("2026-03-03T09:30:00+08:00"), RowKind::Notify),
        ]
    );
    assert_eq!(out.next_wakeup, Some(t("2026-03-03T11:00:00+08:00")));
}

/// A notify step names whom it notifies with `notify:`, or with `to:` as an escalation does;
/// either way the action goes to that tier, not to the tier holding the ticket.
#[test]
fn a_notify_step_goes_to_its_to_tier() {
    let text = |step: &str| {
        [
            "policy: n\ncalendar: weekdays\ntiers: [agent, head]\nladder: l\nstart: open\n",
            &format!("ladders:\n  l:\n    - {step}\n"),
            "stages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n",
            "  closed: { terminal: true }\n",
        ]
        .concat()
    };
    for step in ["{ at: 50%, do: notify, to: head }", "{ at: 50%, do: notify, notify: head }"] {
        let e = Engine::new(compile(&text(step)));
        let mut ticket = open(&e, "2026-03-02T08:00:00Z", json!({}));
        let out = e.advance(&mut ticket, t("2026-03-02T10:00:00Z")).unwrap();
        let notified: Vec<_> = out
            .actions
            .iter()
            .map(|a| (a.at, a.kind, a.tier.as_deref().unwrap_or_default().to_string()))
            .collect();
        assert_eq!(
            notified,
            [(t("2026-03-02T10:00:00Z"), ActionKind::Notify, "head".into())],
            "{step}"
        );
        assert_eq!(out.rows[0].detail, "50%; notify head", "{step}");
        assert_eq!(ticket.tier(), Some("agent"), "{step}: notifying moves nothing");
    }
}
