//! A scenario's `expect:` block and how it is checked against a [`Timeline`].

use super::Timeline;
use super::scenario::Located;
use crate::check::{Span, did_you_mean};
use crate::runtime::RowKind;
use crate::timefmt;
use chrono::{DateTime, Utc};

/// The `expect:` block: each key with its location, in file order.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// Span of the `expect` key.
    pub span: Span,
    /// Expected facts: key (with its span) and value.
    pub items: Vec<(Located<String>, ExpectValue)>,
}

/// The value of one `expect:` key.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectValue {
    /// `stage`, `final_stage`, `tier`, `assignee` (`none` when nobody holds the tier or ticket).
    Name(String),
    /// `closed`, `provisional`.
    Bool(bool),
    /// `breaches: 1`, `escalations: 3`, `flags: 2`, `marks: 1`.
    Count(u32),
    /// `breaches: [verify, handle]` (stages or obligations, in order),
    /// `escalations: [service_center, management]` (the tier after each step, in order),
    /// `flags: [handle]` (stages), `marks: [supervisor]` (the tier marked),
    /// `mark_assignees: [li.wei]` (the person each mark was recorded against, `none` for a mark
    /// made while nobody was named).
    Names(Vec<String>),
    /// `deadlines: { handle: 2026-02-27T00:00:00+08:00 }`: the deadline of the last visit of
    /// each stage (or of an obligation).
    Deadlines(Vec<(Located<String>, DateTime<Utc>)>),
    /// `rejected:`: exactly these events were rejected, in order.
    Rejected(Vec<Located<RejectedSpec>>),
}

/// One expected rejection: any of event number (1-based, file order), name and rejection code
/// (`not_accepted`, `guard_false`, `missing_artifacts`, `out_of_order`, `closed`, `bad_event`,
/// `unknown_field`, `wrong_type`, `not_in_enum`, `group_pending`, …); those given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RejectedSpec {
    /// 1-based event number in the scenario.
    pub index: Option<u32>,
    /// Event name.
    pub event: Option<String>,
    /// Rejection code.
    pub code: Option<String>,
}

impl std::fmt::Display for RejectedSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(i) = self.index {
            parts.push(format!("#{i}"));
        }
        if let Some(e) = &self.event {
            parts.push(e.clone());
        }
        if let Some(c) = &self.code {
            parts.push(format!("[{c}]"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// An expectation that did not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The `expect:` key (`breaches`, `deadlines.handle`, …).
    pub key: String,
    /// Where the key is in the scenario file.
    pub span: Span,
    /// What the scenario expects, as text.
    pub expected: String,
    /// What the timeline shows, as text.
    pub actual: String,
}

impl Expect {
    /// Checks every expectation against `timeline`; an empty list means all hold.
    pub fn check(&self, timeline: &Timeline) -> Vec<Failure> {
        let mut failures = Vec::new();
        for (key, value) in &self.items {
            check_one(timeline, key, value, &mut failures);
        }
        failures
    }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn check_one(tl: &Timeline, key: &Located<String>, value: &ExpectValue, out: &mut Vec<Failure>) {
    let tz = tl.tz;
    let mut fail = |k: String, span: Span, expected: String, actual: String| {
        out.push(Failure { key: k, span, expected, actual });
    };
    let name = key.value.as_str();
    let rows_of = |kind: RowKind| tl.rows.iter().filter(move |r| r.kind == kind);
    match value {
        ExpectValue::Name(want) => {
            let got = match name {
                "tier" => tl.final_state.tier.clone().unwrap_or_else(|| "none".into()),
                "assignee" => tl.final_state.assignee.clone().unwrap_or_else(|| "none".into()),
                _ => tl.final_state.stage.clone(),
            };
            if *want != got {
                fail(name.into(), key.span, format!("`{want}`"), format!("`{got}`"));
            }
        }
        ExpectValue::Bool(want) => {
            let got = match name {
                "closed" => tl.final_state.closed,
                _ => tl.rows.iter().any(|r| r.provisional),
            };
            if *want != got {
                fail(name.into(), key.span, want.to_string(), got.to_string());
            }
        }
        ExpectValue::Count(_) | ExpectValue::Names(_) => {
            let got: Vec<String> = match name {
                "breaches" => rows_of(RowKind::Breach)
                    .filter_map(|r| r.stage.as_deref().map(str::to_string))
                    .collect(),
                "escalations" => rows_of(RowKind::Escalate)
                    .map(|r| r.tier.as_deref().unwrap_or_default().to_string())
                    .collect(),
                "flags" => rows_of(RowKind::Flag)
                    .filter_map(|r| r.stage.as_deref().map(str::to_string))
                    .collect(),
                "mark_assignees" => tl
                    .final_state
                    .mark_assignees
                    .iter()
                    .map(|a| a.clone().unwrap_or_else(|| "none".into()))
                    .collect(),
                _ => tl.final_state.marks.clone(),
            };
            match value {
                ExpectValue::Count(n) if *n as usize != got.len() => fail(
                    name.into(),
                    key.span,
                    n.to_string(),
                    format!("{} {}", got.len(), list(&got)),
                ),
                ExpectValue::Names(want) if *want != got => {
                    fail(name.into(), key.span, list(want), list(&got))
                }
                _ => {}
            }
        }
        ExpectValue::Deadlines(want) => {
            for (stage, at) in want {
                let got = tl.deadline_of(&stage.value);
                let expected = timefmt::rfc3339(tz, *at);
                match got {
                    Some(g) if g == *at => {}
                    Some(g) => fail(
                        format!("deadlines.{}", stage.value),
                        stage.span,
                        format!("{expected} ({})", timefmt::human(tz, *at)),
                        format!("{} ({})", timefmt::rfc3339(tz, g), timefmt::human(tz, g)),
                    ),
                    None => {
                        let known = tl.clock_names();
                        let hint = match did_you_mean(&stage.value, known.iter()) {
                            Some(h) => format!(" (did you mean `{h}`?)"),
                            None => String::new(),
                        };
                        fail(
                            format!("deadlines.{}", stage.value),
                            stage.span,
                            expected,
                            format!("no deadline for `{}`{hint}", stage.value),
                        );
                    }
                }
            }
        }
        ExpectValue::Rejected(want) => {
            let got = &tl.rejected;
            let matches = want.len() == got.len()
                && want.iter().zip(got).all(|(w, g)| {
                    w.value.index.is_none_or(|i| i == g.index)
                        && w.value.event.as_ref().is_none_or(|e| *e == g.event)
                        && w.value.code.as_ref().is_none_or(|c| *c == g.code)
                });
            if !matches {
                let want_text: Vec<String> = want.iter().map(|w| w.value.to_string()).collect();
                let got_text: Vec<String> =
                    got.iter().map(|g| format!("#{} {} [{}]", g.index, g.event, g.code)).collect();
                fail(name.into(), key.span, list(&want_text), list(&got_text));
            }
        }
    }
}
