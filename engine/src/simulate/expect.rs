//! A scenario's `expect:` block and how it is checked against a [`Timeline`].

use super::Timeline;
use super::scenario::Located;
use crate::check::{Span, did_you_mean};
use crate::runtime::RowKind;
use crate::timefmt;
use chrono::{DateTime, Utc};

/// The `expect:` block: each key with its location, in file order.
///
/// ```
/// use ombud_engine::{check::Source, simulate::Scenario};
/// let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\n\
///             expect:\n  stage: handle\n  deadlines: { handle: 2026-02-26T00:00:00+08:00 }\n";
/// let expect = Scenario::parse(&Source::new("s.yaml", text)).unwrap().expect.unwrap();
/// let keys: Vec<_> = expect.items.iter().map(|(k, _)| (k.value.as_str(), k.span.line)).collect();
/// assert_eq!(keys, [("stage", 3), ("deadlines", 4)]);
/// assert_eq!(expect.span.line, 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// Span of the `expect` key.
    pub span: Span,
    /// Expected facts: key (with its span) and value.
    pub items: Vec<(Located<String>, ExpectValue)>,
}

/// The value of one `expect:` key.
///
/// ```
/// use ombud_engine::check::Source;
/// use ombud_engine::simulate::{ExpectValue, Scenario};
/// let src = Source::new("s.yaml", "ticket: { at: 2026-02-13T17:30:00+08:00 }\n\
///                                  expect: { closed: false, breaches: [handle], flags: 2 }\n");
/// let values: Vec<ExpectValue> =
///     Scenario::parse(&src).unwrap().expect.unwrap().items.into_iter().map(|i| i.1).collect();
/// assert_eq!(values[0], ExpectValue::Bool(false));
/// assert_eq!(values[1], ExpectValue::Names(vec!["handle".to_string()]));
/// assert_eq!(values[2], ExpectValue::Count(2));
/// ```
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
///
/// ```
/// # use ombud_engine::{check::Source, simulate::{ExpectValue, Scenario}};
/// let yaml = "ticket: { at: 2026-06-01T15:00:00+08:00 }\n\
///             expect: { rejected: [resolved, { index: 9, code: group_pending }] }\n";
/// let mut expect = Scenario::parse(&Source::new("s.yaml", yaml)).unwrap().expect.unwrap();
/// let Some((_, ExpectValue::Rejected(specs))) = expect.items.pop() else { unreachable!() };
/// assert_eq!(specs[0].value.event.as_deref(), Some("resolved"));
/// assert_eq!(specs[1].value.index, Some(9));
/// assert_eq!(specs[1].value.to_string(), "#9 [group_pending]");
/// ```
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
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let policy = "policy: hotline\ncalendar: cn-mainland\ntiers: [agent]\nstart: handle\n\
/// #     stages: { handle: { owner: agent, due: 3 working days, on: { resolved: done } }, \
/// #     done: { terminal: true } }";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", policy, None).unwrap().0.into());
/// // Over Spring Festival 2026, the scenario expects the handling deadline a day too early.
/// let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\n\
///             expect: { deadlines: { handle: 2026-02-25T00:00:00+08:00 } }\n";
/// let scenario = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
/// let timeline = simulate(&engine, &scenario).unwrap();
/// let failures = scenario.expect.unwrap().check(&timeline);
/// assert_eq!((failures[0].key.as_str(), failures[0].span.line), ("deadlines.handle", 2));
/// assert_eq!(failures[0].expected, "2026-02-25T00:00:00+08:00 (Tue 24 Feb 2026 24:00)");
/// assert_eq!(failures[0].actual, "2026-02-26T00:00:00+08:00 (Wed 25 Feb 2026 24:00)");
/// ```
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
    ///
    /// ```
    /// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
    /// # let policy = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages: \
    /// #     { open: { owner: agent, due: 8h, on: { done: shut } }, shut: { terminal: true } }";
    /// # let (policy, _) = ombud_engine::load_policy("p.yaml", policy, None).unwrap();
    /// # let engine = Engine::new(std::sync::Arc::new(policy));
    /// // Received Mon 2 Mar 2026 09:00 UTC; nobody acts, so the 8-hour limit of `open` runs out.
    /// let text = "ticket: { at: 2026-03-02T09:00:00Z }\nuntil: +1 calendar day\n\
    ///             expect: { stage: open, closed: false, breaches: [open] }\n";
    /// let s = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
    /// let timeline = simulate(&engine, &s).unwrap();
    /// assert_eq!(s.expect.unwrap().check(&timeline), []);
    /// ```
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
