//! Keyword rules as a policy author relies on them: whole words and phrases in Latin-script text,
//! across inflections, substrings in CJK text, `unless` vetoes, and only the fields searched.
#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

use ombud_engine::runtime::{Engine, OpenTicket};
use std::sync::Arc;

const POLICY: &str = r#"
policy: words
calendar: weekdays
fields:
  text: { type: string }
  note: { type: string }
  departments: { type: list }
derive:
  category:
    - { value: safety, keywords: [leak, 漏电], unless: [data, personal] }
    - { value: privacy, keywords: [personal data, 泄露] }
    - { value: fees, keywords: [fee, bill, double billing] }
    - { value: quality, keywords: [delay] }
    - { value: routed, keywords: [billing], in: [departments] }
    - { value: other }
tiers: [agent]
start: intake
stages:
  intake: { owner: agent, on: { done: closed } }
  closed: { terminal: true }
"#;

fn category(fields: serde_json::Value) -> String {
    let (policy, _) = ombud_engine::load_policy("words.yaml", POLICY, None).unwrap();
    let engine = Engine::new(Arc::new(policy));
    let open: OpenTicket = serde_json::from_value(serde_json::json!({
        "id": "T-1", "at": "2026-03-02T09:00:00+08:00", "fields": fields
    }))
    .unwrap();
    let (ticket, _) = engine.open(&open).unwrap();
    ticket.fields().get("category").unwrap().as_str().unwrap().to_string()
}

#[test]
fn whole_words_across_inflections() {
    assert_eq!(category(serde_json::json!({ "text": "The gas pipe is LEAKING" })), "safety");
    assert_eq!(category(serde_json::json!({ "text": "repair delayed twice" })), "quality");
    assert_eq!(category(serde_json::json!({ "text": "thanks for the feedback" })), "other");
    assert_eq!(category(serde_json::json!({ "text": "charged a late fee" })), "fees");
    assert_eq!(category(serde_json::json!({ "text": "Double-Billing again" })), "fees");
}

#[test]
fn cjk_keywords_match_inside_text() {
    assert_eq!(category(serde_json::json!({ "text": "楼道漏电很危险" })), "safety");
}

#[test]
fn unless_vetoes_a_rule() {
    let fields = serde_json::json!({ "text": "my personal data was leaked" });
    assert_eq!(category(fields), "privacy");
}

#[test]
fn rules_look_only_in_string_fields_or_the_fields_named() {
    // A department named `billing` is in a list field: `bill` does not see it; the rule that
    // names `departments` does.
    assert_eq!(category(serde_json::json!({ "departments": ["billing"] })), "routed");
    assert_eq!(category(serde_json::json!({ "note": "billing" })), "fees");
}
