//! Extensions of stage and obligation clocks, and obligations that start on an event and run a
//! ladder. Instants are worked by hand from holidays/cn-mainland.yaml: Spring Festival 2026 is
//! Sun 15 – Mon 23 Feb, with make-up working days on Sat 14 and Sat 28 Feb.

use crate::common::*;
use ombud_engine::runtime::{ActionKind, Engine, Event, Rejection, RowKind};
use serde_json::json;

const EXTENDING: &str = r#"
policy: extending
version: "1"
calendar: cn-mainland
fields:
  complex: { type: bool }
tiers: [officer, section_chief, director]
ladders:
  std:
    - { at: 50%, do: flag, notify: owner }
    - { at: 100%, do: escalate, to: next }
  obligation_ladder:
    - { at: 80%, do: flag }
    - { at: 100%, do: escalate, to: section_chief }
ladder: std
start: verify
stages:
  verify:
    owner: officer
    due: 7 working days
    on: { decided: mediate }
    extensions:
      - { on: extension_approved, by: 7 working days, requires: [approval] }
  mediate:
    owner: officer
    due: 15 working days
    on: { settled: closed }
    extensions:
      - { on: extended_to_30, to: 30 calendar days, when: 'complex' }
      - { on: extend_twice, by: 2 working days, max: 2 }
  closed: { terminal: true }
obligations:
  feedback:
    start_on: decided
    due: 5 working days
    owner: officer
    done_on: feedback_sent
    ladder: obligation_ladder
    extensions:
      - { on: feedback_extended, by: 5 working days }
pause:
  - { on: wait, resume_on: back, stages: [mediate] }
"#;

fn extending() -> Engine {
    Engine::new(compile(EXTENDING))
}

#[test]
fn by_extends_from_the_deadline_across_spring_festival() {
    let e = extending();
    // Opened Mon 2 Feb 10:00: 7 working days are 3–6 and 9–11 Feb → the end of Wed 11 Feb.
    let mut ticket = open(&e, "2026-02-02T10:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-12T00:00:00+08:00"));
    e.apply(&mut ticket, &Event::attach("approval", t("2026-02-09T09:00:00+08:00"))).unwrap();
    // 7 more working days from the day after Wed 11 Feb: Thu 12, Fri 13, Sat 14 (make-up),
    // then the holiday, then Tue 24, Wed 25, Thu 26, Fri 27 → the end of Fri 27 Feb.
    let out = e.apply(&mut ticket, &ev("extension_approved", "2026-02-10T15:00:00+08:00")).unwrap();
    let clock = ticket.clock().unwrap();
    assert_eq!(clock.deadline, t("2026-02-28T00:00:00+08:00"));
    assert_eq!(clock.budget.to_string(), "7 working days", "the budget stays as written");
    assert_eq!(clock.extensions_used(0), 1);
    assert_eq!(ticket.stage(), "verify", "an extension does not change stage");
    let row = out.rows.iter().find(|r| r.kind == RowKind::Extended).unwrap();
    assert_eq!(row.stage.as_deref(), Some("verify"));
    assert_eq!(row.due, Some(t("2026-02-28T00:00:00+08:00")));
    assert_eq!(row.previous_due, Some(t("2026-02-12T00:00:00+08:00")));
    assert_eq!(
        row.detail,
        "extension_approved: `verify` extended by 7 working days → due Fri 27 Feb 2026 24:00 \
         (was Wed 11 Feb 2026 24:00)"
    );
    // The breach falls at the extended deadline, not the old one.
    let out = e.advance(&mut ticket, t("2026-02-27T23:59:00+08:00")).unwrap();
    assert!(out.rows.iter().all(|r| r.kind != RowKind::Breach));
    let out = e.advance(&mut ticket, t("2026-02-28T00:00:00+08:00")).unwrap();
    assert!(out.rows.iter().any(|r| r.kind == RowKind::Breach));
}

#[test]
fn refused_extensions_leave_the_ticket_as_it_was() {
    let e = extending();
    let mut ticket = open(&e, "2026-02-02T10:00:00+08:00", json!({}));
    // Without the approval attached.
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("extension_approved", "2026-02-10T15:00:00+08:00"));
    let err = err.unwrap_err();
    assert_eq!(err.code(), "missing_artifacts");
    assert_eq!(
        err.to_string(),
        "`extension_approved` cannot extend `verify` before `approval` is attached"
    );
    assert_eq!(ticket, before);
    e.apply(&mut ticket, &Event::attach("approval", t("2026-02-09T09:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("extension_approved", "2026-02-10T15:00:00+08:00")).unwrap();
    // A second extension: `max` is 1.
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("extension_approved", "2026-02-11T15:00:00+08:00"));
    assert_eq!(
        err.unwrap_err(),
        Rejection::ExtensionLimit {
            event: "extension_approved".into(),
            clock: "verify".into(),
            max: 1
        }
    );
    assert_eq!(ticket, before);
}

#[test]
fn an_extension_after_the_deadline_is_refused() {
    let e = extending();
    let mut ticket = open(&e, "2026-02-02T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &Event::attach("approval", t("2026-02-09T09:00:00+08:00"))).unwrap();
    let late = ev("extension_approved", "2026-02-12T09:00:00+08:00");
    // As the ticket was stored (the breach not yet fired) and after `advance` fired it.
    for advanced in [false, true] {
        if advanced {
            e.advance(&mut ticket, t("2026-02-12T08:00:00+08:00")).unwrap();
        }
        let before = ticket.clone();
        let err = e.apply(&mut ticket, &late).unwrap_err();
        assert_eq!(err.code(), "extension_late");
        assert_eq!(
            err.to_string(),
            // 2026-02-12T00:00:00+08:00, the midnight that ends Wed 11 Feb, shown as every
            // other line of a timeline shows an instant.
            "`extension_approved` comes too late: the deadline of `verify` passed at \
             Wed 11 Feb 2026 24:00"
        );
        assert_eq!(ticket, before);
    }
}

#[test]
fn to_sets_the_whole_limit_and_rolls_off_rest_days() {
    let e = extending();
    // Opened Fri 23 Jan 10:00 and decided at once: mediation's 15 working days from Fri 23 Jan
    // are 26–30 Jan, 2–6 Feb and 9–13 Feb → the end of Fri 13 Feb.
    let mut ticket = open(&e, "2026-01-23T10:00:00+08:00", json!({"complex": true}));
    e.apply(&mut ticket, &ev("decided", "2026-01-23T10:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-14T00:00:00+08:00"));
    // 30 calendar days from Fri 23 Jan is Sun 22 Feb, inside the holiday: the limit rolls off to
    // the next working day, Tue 24 Feb.
    let out = e.apply(&mut ticket, &ev("extended_to_30", "2026-02-10T09:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-25T00:00:00+08:00"));
    let row = out.rows.iter().find(|r| r.kind == RowKind::Extended).unwrap();
    assert!(row.detail.contains("extended to 30 calendar days"), "{}", row.detail);
    // The breach states the limit in force, not the 15 working days written on the stage.
    let out = e.advance(&mut ticket, t("2026-02-25T00:00:00+08:00")).unwrap();
    let breach = out.rows.iter().find(|r| r.kind == RowKind::Breach).unwrap();
    assert!(
        breach
            .detail
            .starts_with("`mediate` overdue: 30 calendar days ran out Tue 24 Feb 2026 24:00: "),
        "{}",
        breach.detail
    );
}

#[test]
fn to_that_is_not_later_is_refused_and_when_guards_the_entry() {
    let e = extending();
    let mut ticket = open(&e, "2026-01-23T10:00:00+08:00", json!({"complex": false}));
    e.apply(&mut ticket, &ev("decided", "2026-01-23T10:00:00+08:00")).unwrap();
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("extended_to_30", "2026-02-10T09:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "guard_false");
    assert_eq!(ticket, before);
    // A ticket whose mediation already runs to the end of 27 Feb after four extensions of
    // 2 working days is refused a `to: 30 calendar days` that would end on 24 Feb.
    let mut ticket = open(&e, "2026-01-23T10:00:00+08:00", json!({"complex": true}));
    e.apply(&mut ticket, &ev("decided", "2026-01-23T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("extend_twice", "2026-02-02T09:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("extend_twice", "2026-02-02T09:00:00+08:00")).unwrap();
    // Fri 13 Feb + 2 working days (Sat 14, Tue 24) + 2 (Wed 25, Thu 26) → the end of Thu 26 Feb.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-02-27T00:00:00+08:00"));
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("extend_twice", "2026-02-03T09:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "extension_limit");
    let err = e.apply(&mut ticket, &ev("extended_to_30", "2026-02-03T09:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "extension_not_later");
    assert_eq!(
        err.to_string(),
        "`extended_to_30` would move the deadline of `mediate` to 2026-02-25T00:00:00+08:00, \
         which is not later than 2026-02-27T00:00:00+08:00"
    );
    assert_eq!(ticket, before);
}

#[test]
fn ladder_steps_rebase_on_the_extended_limit_and_do_not_refire() {
    let e = extending();
    // verify: 7 working days from Mon 2 Mar 00:00 (the end of Sun 1 Mar): 2–6 and 9–10 Mar →
    // the end of Tue 10 Mar; the 50 % flag at 3.5 working days, Thu 5 Mar 12:00.
    let mut ticket = open(&e, "2026-03-02T00:00:00+08:00", json!({}));
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-03-05T12:00:00+08:00")));
    let out = e.advance(&mut ticket, t("2026-03-06T09:00:00+08:00")).unwrap();
    assert_eq!(out.rows.iter().filter(|r| r.kind == RowKind::Flag).count(), 1);
    e.apply(&mut ticket, &Event::attach("approval", t("2026-03-06T09:00:00+08:00"))).unwrap();
    e.apply(&mut ticket, &ev("extension_approved", "2026-03-06T10:00:00+08:00")).unwrap();
    // 7 more: 11–13 and 16–19 Mar → the end of Thu 19 Mar. The 50 % of the new 14 days falls
    // on Tue 10 Mar 24:00, but the flag already fired: the next step is the escalation.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-20T00:00:00+08:00"));
    assert_eq!(e.next_wakeup(&ticket).unwrap(), Some(t("2026-03-20T00:00:00+08:00")));
    let out = e.advance(&mut ticket, t("2026-03-20T00:00:00+08:00")).unwrap();
    let kinds: Vec<RowKind> = out.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [RowKind::Breach, RowKind::Escalate]);
    assert_eq!(
        out.rows[0].detail,
        "`verify` overdue: 7 working days + 7 working days ran out Thu 19 Mar 2026 24:00: \
         waiting for `decided`; held by officer"
    );
    assert_eq!(ticket.stats().flags, 1);
    assert_eq!(ticket.tier(), Some("section_chief"));
    // The explanation shows the flag where it fired, Thu 5 Mar 12:00 on the 7-day clock, not
    // where the extended clock would place it; the escalation fell on the extended deadline.
    let why = e.explain(&ticket, "verify").unwrap().unwrap();
    let steps: Vec<(chrono::DateTime<chrono::Utc>, &str, bool)> =
        why.steps.iter().map(|s| (s.at.to_utc(), s.rule.as_str(), s.fired)).collect();
    assert_eq!(
        steps,
        [
            (t("2026-03-05T12:00:00+08:00"), "50 % of the working time", true),
            (
                t("2026-03-20T00:00:00+08:00"),
                "100 % of the extended working time (7 working days + 7 working days; the deadline)",
                true
            ),
        ]
    );
    // The breach came before the escalation at the deadline: officer held the ticket then.
    assert_eq!(why.breach.unwrap().tier.as_deref(), Some("officer"));
}

#[test]
fn a_pause_holds_an_extended_clock() {
    let e = extending();
    // mediate from Mon 2 Mar 00:00: 15 working days, 2–6, 9–13, 16–20 Mar → the end of 20 Mar;
    // extended by 2 → the end of Tue 24 Mar.
    let mut ticket = open(&e, "2026-03-02T00:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("decided", "2026-03-02T00:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("extend_twice", "2026-03-03T00:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-25T00:00:00+08:00"));
    // Paused Wed 4 Mar 00:00 with 15 working days left (4–6, 9–13, 16–20, 23–24 Mar); resumed
    // Mon 9 Mar 00:00 → 9–13, 16–20, 23–27 Mar: the end of Fri 27 Mar.
    e.apply(&mut ticket, &ev("wait", "2026-03-04T00:00:00+08:00")).unwrap();
    // Extending while paused adds to the time held.
    e.apply(&mut ticket, &ev("extend_twice", "2026-03-05T00:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("back", "2026-03-09T00:00:00+08:00")).unwrap();
    // 15 + 2 working days from Mon 9 Mar: 9–13, 16–20, 23–27, 30–31 Mar → the end of Tue 31 Mar.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-04-01T00:00:00+08:00"));
    // The ladder's 50% step counts on the extended limit and skips the pause: 15 + 2 + 2 = 19
    // working days, 9.5 of them at 50%. Mon 2 and Tue 3 Mar ran before the pause (2); then
    // 9–13 (7), 16–17 (9) and half of Wed 18 Mar → Wed 18 Mar 12:00.
    let out = e.advance(&mut ticket, t("2026-04-01T00:00:00+08:00")).unwrap();
    let mediate: Vec<_> = out
        .rows
        .iter()
        .filter(|r| r.stage.as_deref() == Some("mediate"))
        .map(|r| (r.kind, r.at))
        .collect();
    assert_eq!(
        mediate,
        [
            (RowKind::Flag, t("2026-03-18T12:00:00+08:00")),
            (RowKind::Breach, t("2026-04-01T00:00:00+08:00")),
            (RowKind::Escalate, t("2026-04-01T00:00:00+08:00")),
        ]
    );
}

/// `resume: restart` starts the stage's `due` as written again: an extension granted before the
/// pause is not carried over, and still counts toward its entry's `max`.
#[test]
fn a_restart_after_an_extension_starts_the_limit_as_written() {
    let text = EXTENDING.replace(
        "{ on: wait, resume_on: back, stages: [mediate] }",
        "{ on: wait, resume_on: back, resume: restart, stages: [mediate] }",
    );
    let e = Engine::new(compile(&text));
    let mut ticket = open(&e, "2026-03-02T00:00:00+08:00", json!({}));
    e.apply(&mut ticket, &ev("decided", "2026-03-02T00:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("extend_twice", "2026-03-03T00:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("wait", "2026-03-04T00:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("back", "2026-03-09T00:00:00+08:00")).unwrap();
    // 15 working days from Mon 9 Mar: 9–13, 16–20, 23–27 Mar → the end of Fri 27 Mar.
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-28T00:00:00+08:00"));
    // One use of `extend_twice` (max 2) is left: +2 working days, 30–31 Mar.
    e.apply(&mut ticket, &ev("extend_twice", "2026-03-10T00:00:00+08:00")).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-04-01T00:00:00+08:00"));
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("extend_twice", "2026-03-11T00:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "extension_limit");
    assert_eq!(ticket, before);
}

#[test]
fn scoped_pause_is_refused_in_other_stages() {
    let e = extending();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let before = ticket.clone();
    let err = e.apply(&mut ticket, &ev("wait", "2026-03-02T11:00:00+08:00")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "stage `verify` does not accept event `wait` (it accepts `decided`, `extension_approved`)"
    );
    assert_eq!(err.code(), "not_accepted");
    assert_eq!(ticket, before);
}

#[test]
fn start_on_obligation_breaches_escalates_and_extends() {
    let e = extending();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    assert!(ticket.obligations().is_empty(), "`feedback` starts on `decided`, not at open");
    // Decided Tue 3 Mar 10:00: feedback within 5 working days, 4–6 and 9–10 Mar → the end of
    // Tue 10 Mar.
    let out = e.apply(&mut ticket, &ev("decided", "2026-03-03T10:00:00+08:00")).unwrap();
    let started = out.rows.iter().find(|r| r.kind == RowKind::Obligation).unwrap();
    assert_eq!(started.due, Some(t("2026-03-11T00:00:00+08:00")));
    let clock = &ticket.obligations().get("feedback").unwrap().clock;
    assert_eq!(clock.started, t("2026-03-03T10:00:00+08:00"));
    // The ticket's stage clock is the mediation's; the obligation runs beside it.
    assert_eq!(ticket.stage(), "mediate");
    let out = e.advance(&mut ticket, t("2026-03-11T00:00:00+08:00")).unwrap();
    let rows: Vec<(RowKind, Option<&str>, Option<&str>)> =
        out.rows.iter().map(|r| (r.kind, r.stage.as_deref(), r.tier.as_deref())).collect();
    assert_eq!(
        rows,
        [
            (RowKind::Flag, Some("feedback"), Some("officer")),
            (RowKind::Breach, Some("feedback"), Some("officer")),
            (RowKind::Escalate, Some("feedback"), Some("section_chief")),
        ]
    );
    assert_eq!(ticket.tier(), Some("section_chief"));
    assert_eq!(ticket.stats().escalations, 1);
    assert!(out.actions.iter().any(|a| a.subject == "feedback" && a.kind == ActionKind::Breach));
    // A second `decided` does not restart it (it is once per ticket) — here it is refused.
    let err = e.apply(&mut ticket, &ev("decided", "2026-03-12T10:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "not_accepted");
    e.apply(&mut ticket, &ev("feedback_sent", "2026-03-12T10:00:00+08:00")).unwrap();
    assert!(ticket.obligations().get("feedback").unwrap().done.is_some());
}

#[test]
fn an_obligation_extension_applies_in_any_stage_while_it_is_open() {
    let e = extending();
    let mut ticket = open(&e, "2026-03-02T10:00:00+08:00", json!({}));
    let err =
        e.apply(&mut ticket, &ev("feedback_extended", "2026-03-02T11:00:00+08:00")).unwrap_err();
    assert_eq!(err.to_string(), "obligation `feedback` is not open");
    e.apply(&mut ticket, &ev("decided", "2026-03-03T10:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &ev("feedback_extended", "2026-03-05T10:00:00+08:00")).unwrap();
    // 5 more working days from the end of Tue 10 Mar: 11–13 and 16–17 Mar.
    let clock = &ticket.obligations().get("feedback").unwrap().clock;
    assert_eq!(clock.deadline, t("2026-03-18T00:00:00+08:00"));
    assert_eq!(clock.extensions_used(0), 1);
    // The stored ticket reads back the same (the clock is written beside `done`).
    let json = serde_json::to_value(&ticket).unwrap();
    assert_eq!(json["obligations"]["feedback"]["extended"], json!([1]));
    let back: ombud_engine::runtime::Ticket = serde_json::from_value(json).unwrap();
    assert_eq!(back, ticket);
    let out = e.advance(&mut ticket, t("2026-03-18T00:00:00+08:00")).unwrap();
    let breach = out.rows.iter().find(|r| r.kind == RowKind::Breach).unwrap();
    assert_eq!(
        breach.detail,
        "obligation `feedback` overdue: 5 working days + 5 working days ran out Tue 17 Mar 2026 \
         24:00: waiting for `feedback_sent`; owed by officer"
    );
}

/// A stage's `due` is chosen on entry. A `set` after which another entry would apply leaves the
/// running clock as it is, and its row says so and names `extensions` — the mistake of making a
/// limit conditional on a field set later would otherwise show only as a breach.
#[test]
fn a_set_that_would_choose_another_due_keeps_the_clock_and_says_so() {
    let e = Engine::new(compile(
        r#"
policy: due-later
version: "1"
calendar: cn-mainland
fields:
  complex: { type: bool, default: false }
tiers: [officer]
start: handle
stages:
  handle:
    owner: officer
    due:
      - { when: 'complex', within: 30 working days }
      - { within: 15 working days }
    on: { done: closed }
  closed: { terminal: true }
"#,
    ));
    // Opened Mon 2 Mar 09:00: 15 working days are 3–6, 9–13, 16–20 and 23 Mar → the end of
    // Mon 23 Mar.
    let mut ticket = open(&e, "2026-03-02T09:00:00+08:00", json!({}));
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-24T00:00:00+08:00"));
    let mut data = serde_json::Map::new();
    data.insert("complex".into(), json!(true));
    let out = e.apply(&mut ticket, &Event::set(data, t("2026-03-02T10:00:00+08:00"))).unwrap();
    assert_eq!(ticket.clock().unwrap().deadline, t("2026-03-24T00:00:00+08:00"));
    assert_eq!(
        out.rows[0].detail.as_str(),
        "set complex=true; `due` of `handle` is chosen on entry: its clock keeps 15 working \
         days, not 30 working days (use `extensions` to give more time)"
    );
    // A `set` that leaves the choice as it was says nothing more.
    let mut data = serde_json::Map::new();
    data.insert("complex".into(), json!(false));
    let out = e.apply(&mut ticket, &Event::set(data, t("2026-03-02T11:00:00+08:00"))).unwrap();
    assert_eq!(out.rows[0].detail.as_str(), "set complex=false");
}
