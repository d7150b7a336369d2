//! Required fields, `stage` in conditions, and comparisons across types at run time.

use crate::common::*;
use ombud_engine::runtime::{Engine, Event, OpenTicket, Rejection, RowKind};
use serde_json::json;

const LANGUAGE: &str = r#"
policy: language
version: "1"
calendar: cn-mainland
fields:
  kind: { type: enum, values: [complaint, report], required: true }
  tags: { type: list, default: [] }
derive:
  lane:
    - { value: numbered, when: 'tags[0] == 5' }
    - { value: plain }
tiers: [officer, section_chief]
ladders:
  shared:
    - { at: 50%, do: flag, when: 'stage == "verify"' }
    - { at: 100%, do: escalate, to: next }
ladder: shared
start: verify
stages:
  verify:
    owner: officer
    due: 2 working days
    on:
      verified: mediate
      skip: { to: closed, when: 'stage == "mediate"' }
  mediate:
    owner: officer
    due: 2 working days
    on: { settled: closed }
  closed: { terminal: true }
"#;

fn language() -> Engine {
    Engine::new(compile(LANGUAGE))
}

fn input(fields: serde_json::Value) -> OpenTicket {
    OpenTicket {
        id: "L-1".into(),
        at: t("2026-03-02T00:00:00+08:00"),
        fields: serde_json::from_value(fields).unwrap(),
    }
}

#[test]
fn a_required_field_must_be_given() {
    let e = language();
    for fields in [json!({}), json!({"kind": null})] {
        let err = e.open(&input(fields)).unwrap_err();
        assert_eq!(err, Rejection::MissingField { field: "kind".into() });
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            ("missing_field", "field `kind` is required")
        );
    }
    let (mut ticket, _) = e.open(&input(json!({"kind": "report"}))).unwrap();
    // A `set` cannot clear it either; the ticket is left as it was.
    let before = ticket.clone();
    let clear = Event::set(
        serde_json::from_value(json!({"kind": null})).unwrap(),
        t("2026-03-02T09:00:00+08:00"),
    );
    assert_eq!(e.apply(&mut ticket, &clear).unwrap_err().code(), "missing_field");
    assert_eq!(ticket, before);
}

#[test]
fn conditions_read_the_current_stage() {
    let e = language();
    let (mut ticket, _) = e.open(&input(json!({"kind": "report"}))).unwrap();
    // `skip` is guarded by `stage == "mediate"`: false in verify.
    let err = e.apply(&mut ticket, &ev("skip", "2026-03-02T09:00:00+08:00")).unwrap_err();
    assert_eq!(err.code(), "guard_false");
    // The shared ladder flags at 50 % only in verify: Tue 3 Mar 00:00 (1 of 2 working days).
    let out = e.advance(&mut ticket, t("2026-03-03T00:00:00+08:00")).unwrap();
    assert_eq!(out.rows.iter().filter(|r| r.kind == RowKind::Flag).count(), 1);
    e.apply(&mut ticket, &ev("verified", "2026-03-03T00:00:00+08:00")).unwrap();
    let out = e.advance(&mut ticket, t("2026-03-04T00:00:00+08:00")).unwrap();
    assert_eq!(out.rows.iter().filter(|r| r.kind == RowKind::Flag).count(), 0, "not in mediate");
    e.apply(&mut ticket, &ev("settled", "2026-03-04T00:00:00+08:00")).unwrap();
    assert!(ticket.is_closed());
}

#[test]
fn a_comparison_across_types_is_a_condition_error_not_false() {
    let e = language();
    // `tags[0] == 5` compares a string with a number: rhai alone would say false.
    let (ticket, out) = e.open(&input(json!({"kind": "report", "tags": ["5"]}))).unwrap();
    assert_eq!(ticket.fields()["lane"], "plain", "the rule does not apply");
    let [error] = &out.condition_errors[..] else { panic!("{:?}", out.condition_errors) };
    assert_eq!(error.condition, "tags[0] == 5");
    assert!(error.message.contains("compares a string with a number"), "{}", error.message);
}
