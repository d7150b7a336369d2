//! Running a scenario: open the ticket, apply every event (a refused one becomes a `rejected`
//! row), run the clock to `until`, and collect the timeline, the final state and the next actions.

use super::explanations::Explanations;
use super::scenario::{Scenario, TimeSpec};
use crate::check::DiagnosticCode;
use crate::check::{Diagnostic, Source, Span};
use crate::compile::CompiledPolicy;
use crate::runtime::{
    AcceptedEvent, ClockExplanation, ConditionError, Engine, Event, NextActions, OpenTicket,
    Outcome, Rejection, RowKind, TimelineRow, rejected_row_for,
};
use crate::timefmt;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// The result of running a scenario.
///
/// A `hotline` policy like the README's, a ticket received the Friday evening before Spring
/// Festival 2026 and registered 20 minutes later, never resolved:
///
/// ```
/// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let hotline = "policy: hotline\nversion: \"1\"\ncalendar: cn-mainland\ntiers: [agent]\n\
/// #     start: intake\nstages: { intake: { owner: agent, due: 1h, on: { registered: handle } },\
/// #     handle: { owner: agent, due: 3 working days, on: { resolved: closed } },\
/// #     closed: { terminal: true } }";
/// # let (hotline, _) = ombud_engine::load_policy("h.yaml", hotline, None).unwrap();
/// # let engine = Engine::new(hotline.into());
/// let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\n\
///             events: [ { at: +20m, event: registered } ]\nuntil: +30 calendar days\n";
/// let scenario = Scenario::parse(&Source::new("s.yaml", text)).unwrap();
/// let timeline = simulate(&engine, &scenario).unwrap();
/// assert_eq!((timeline.policy.as_str(), timeline.tz), ("hotline@1", chrono_tz::Asia::Shanghai));
/// let kinds: Vec<_> = timeline.rows.iter().map(|r| r.kind.as_str()).collect();
/// assert_eq!(kinds, ["opened", "entered", "deadline", "event", "entered", "deadline", "breach"]);
/// // 30 calendar days end on Sun 15 Mar, not a working day: rolled to the end of Mon 16 Mar.
/// assert_eq!(timeline.until.to_rfc3339(), "2026-03-16T16:00:00+00:00"); // 24:00 in Beijing
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// `id@version` of the policy it ran under.
    pub policy: String,
    /// The calendar's zone; every instant is rendered in it.
    pub tz: Tz,
    /// The calendar's last covered date (for explaining provisional deadlines).
    pub covered_until: chrono::NaiveDate,
    /// Every row in the order the engine produced them (time order; a refused out-of-order
    /// event shows at its own, earlier, time where it was applied).
    pub rows: Vec<TimelineRow>,
    /// The events the engine refused, in order.
    pub rejected: Vec<RejectedEvent>,
    /// Conditions the engine could not evaluate (each counted as false), each with the instant
    /// of the call that first met it: the opening, an event, or running the clock to `until`.
    pub condition_errors: Vec<ConditionFailure>,
    /// The instant the clock was run to.
    pub until: DateTime<Utc>,
    /// The ticket at `until`.
    pub final_state: FinalState,
    /// What the ticket accepts and waits for at `until`.
    pub next: NextActions,
}

/// A refused scenario event.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let (policy, _) = ombud_engine::load_policy("p.yaml", "policy: p\ncalendar: weekdays\n\
/// #     tiers: [agent]\nstart: handle\nstages: { handle: { owner: agent, due: 2 working days, \
/// #     on: { resolved: done } }, done: { terminal: true } }", None).unwrap();
/// # let engine = Engine::new(policy.into());
/// let s = Scenario::parse(&Source::new("s.yaml", "ticket: { at: 2026-03-02T09:00:00Z }\n\
///     events: [ { at: +1h, event: closed }, { at: +1h, event: resolved } ]\n")).unwrap();
/// let refused = simulate(&engine, &s).unwrap().rejected;
/// assert_eq!(refused.len(), 1);
/// assert_eq!((refused[0].index, refused[0].code.as_str()), (1, "not_accepted"));
/// assert_eq!(
///     refused[0].message,
///     "stage `handle` does not accept event `closed` (it accepts `resolved`)"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RejectedEvent {
    /// 1-based number of the event in the scenario.
    pub index: u32,
    /// Event name.
    pub event: String,
    /// Rejection code (`not_accepted`, `missing_artifacts`, …).
    pub code: String,
    /// The message.
    pub message: String,
    /// The instant the event was given at (in JSON, the event's `rejected` row carries it, in
    /// the calendar's zone).
    #[serde(skip)]
    pub at: DateTime<Utc>,
}

/// A condition the engine could not evaluate during a scenario, so it counted as false.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let (policy, _) = ombud_engine::load_policy("p.yaml", "policy: p\ncalendar: weekdays\n\
/// #     fields: { tags: { type: list, default: [] } }\n\
/// #     derive: { lane: [ { value: vip, when: 'tags[1] == \"vip\"' }, { value: normal } ] }\n\
/// #     tiers: [agent]\nstart: handle\nstages: { handle: { owner: agent, due: 4h, \
/// #     on: { resolved: done } }, done: { terminal: true } }", None).unwrap();
/// # let engine = Engine::new(policy.into());
/// // The policy's `lane` rule reads `tags[1] == "vip"`; this ticket has one tag.
/// let s = Scenario::parse(&Source::new("s.yaml", "ticket: { at: 2026-03-02T09:00:00Z, \
///     fields: { tags: [new] } }\n")).unwrap();
/// let failed = simulate(&engine, &s).unwrap().condition_errors;
/// assert_eq!(failed.len(), 1);
/// assert_eq!(failed[0].at.to_rfc3339(), "2026-03-02T09:00:00+00:00"); // at the opening
/// assert_eq!(failed[0].condition, r#"tags[1] == "vip""#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConditionFailure {
    /// The instant of the call (opening, event, `until`) that first met it.
    pub at: DateTime<Utc>,
    /// The condition as the policy writes it.
    pub condition: String,
    /// Why it could not be evaluated.
    pub message: String,
}

/// Adds `outcome`'s condition errors not yet in `failures`, at `at`.
fn note_failures(failures: &mut Vec<ConditionFailure>, at: DateTime<Utc>, outcome: &Outcome) {
    for ConditionError { condition, message } in &outcome.condition_errors {
        if !failures.iter().any(|f| &f.condition == condition && &f.message == message) {
            failures.push(ConditionFailure {
                at,
                condition: condition.clone(),
                message: message.clone(),
            });
        }
    }
}

/// The ticket at the end of a scenario.
///
/// ```
/// use ombud_engine::check::Source;
/// use ombud_engine::simulate::{FinalState, Scenario, simulate};
/// # let (policy, _) = ombud_engine::load_policy("b.yaml", "policy: bank\ncalendar: de-example\n\
/// #     tiers: [clerk]\nstart: review\nstages: { review: { owner: clerk, due: 8 working hours, \
/// #     on: { answered: done } }, done: { terminal: true } }", None).unwrap();
/// # let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
/// // de-example banks 09:00-12:00 and 13:00-17:00: 8 working hours from Thu 5 Mar 11:00
/// // end Fri 6 Mar 12:00, so an answer at 11:30 is in time.
/// let text = "ticket: { at: 2026-03-05T11:00:00+01:00 }\n\
///             events: [ { at: 2026-03-06T11:30:00+01:00, event: answered } ]\n";
/// let end: FinalState = simulate(&engine, &Scenario::parse(&Source::new("s.yaml", text)).unwrap())
///     .unwrap()
///     .final_state;
/// assert_eq!((end.stage.as_str(), end.closed, end.breaches), ("done", true, 0));
/// assert_eq!(end.closed_at.unwrap().to_rfc3339(), "2026-03-06T10:30:00+00:00");
/// assert_eq!(end.tier.as_deref(), Some("clerk"));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FinalState {
    /// Current stage.
    pub stage: String,
    /// Responsible tier.
    pub tier: Option<String>,
    /// The person handling the ticket for its tier, if the host named one.
    pub assignee: Option<String>,
    /// Whether it reached a terminal stage.
    pub closed: bool,
    /// When it closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Whether the current stage visit is flagged red.
    pub flagged: bool,
    /// Deadlines missed.
    pub breaches: u32,
    /// Escalation steps fired.
    pub escalations: u32,
    /// Flag steps fired.
    pub flags: u32,
    /// Performance marks: the tier each was recorded against, in order.
    pub marks: Vec<String>,
    /// The person each mark in `marks` was recorded against (`None`: nobody was named).
    pub mark_assignees: Vec<Option<String>>,
}

impl Timeline {
    /// The deadline of the *last* visit of `stage` (or of the obligation named so): the `due`
    /// of the last `deadline`/`resumed`/`obligation` row about it.
    ///
    /// A result disputed on Wed 25 Feb 2026 sends the ticket back to `handle` for another three
    /// working days: Thu 26, Fri 27 and Sat 28 Feb (a make-up working day for Spring Festival).
    ///
    /// ```
    /// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
    /// # let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: handle\nstages:\n  \
    /// #     handle: { owner: agent, due: 3 working days, on: { resolved: confirm } }\n  \
    /// #     confirm: { owner: agent, due: 2 working days, on: { disputed: handle, ok: end } }\n  \
    /// #     end: { terminal: true }\n";
    /// # let (policy, _) = ombud_engine::load_policy("p.yaml", text, None).unwrap();
    /// # let engine = Engine::new(policy.into());
    /// let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\nevents:\n  \
    ///             - { at: 2026-02-24T10:00:00+08:00, event: resolved }\n  \
    ///             - { at: 2026-02-25T09:00:00+08:00, event: disputed }\n";
    /// let scenario = Scenario::parse(&Source::new("s", text)).unwrap();
    /// let timeline = simulate(&engine, &scenario).unwrap();
    /// let t = |s: &str| Some(s.parse().unwrap());
    /// assert_eq!(timeline.deadline_of("handle"), t("2026-03-01T00:00:00+08:00")); // not 26 Feb
    /// assert_eq!(timeline.deadline_of("confirm"), t("2026-02-27T00:00:00+08:00"));
    /// assert_eq!(timeline.deadline_of("archive"), None);
    /// ```
    pub fn deadline_of(&self, stage: &str) -> Option<DateTime<Utc>> {
        self.rows
            .iter()
            .rev()
            .filter(|r| {
                matches!(
                    r.kind,
                    RowKind::Deadline | RowKind::Resumed | RowKind::Obligation | RowKind::Extended
                )
            })
            .find(|r| r.stage.as_deref() == Some(stage) && r.due.is_some())
            .and_then(|r| r.due)
    }

    /// Names of every stage or obligation that has a deadline in the timeline.
    ///
    /// ```
    /// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
    /// let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    /// let policy = format!("{root}/policies/service-complaints.yaml");
    /// let engine = Engine::new(ombud_engine::load_policy_file(policy.as_ref()).unwrap().0.into());
    /// let path = format!("{root}/examples/scenarios/late-night-filing.yaml");
    /// let file = Source::new(&path, std::fs::read_to_string(&path).unwrap());
    /// let timeline = simulate(&engine, &Scenario::parse(&file).unwrap()).unwrap();
    /// assert_eq!(timeline.clock_names(), ["handle", "intake", "verify"]);
    /// ```
    pub fn clock_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.due.is_some())
            .filter_map(|r| r.stage.as_deref().map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Whether any row rests on days beyond the calendar's data.
    ///
    /// ```
    /// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
    /// # let policy = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: handle\nstages: { \
    /// #     handle: { owner: agent, due: 7 working days, on: { resolved: done } }, \
    /// #     done: { terminal: true } }";
    /// let (policy, _) = ombud_engine::load_policy("p.yaml", policy, None).unwrap();
    /// let engine = Engine::new(policy.into());
    /// // cn-mainland's data ends on 2026-12-31: 7 working days from Mon 28 Dec run into 2027.
    /// let s = Source::new("s.yaml", "ticket: { at: 2026-12-28T10:00:00+08:00 }");
    /// let timeline = simulate(&engine, &Scenario::parse(&s).unwrap()).unwrap();
    /// assert!(timeline.has_provisional());
    /// let due = timeline.deadline_of("handle").unwrap();
    /// assert_eq!(due.to_rfc3339(), "2027-01-06T16:00:00+00:00"); // end of Wed 6 Jan, Beijing
    /// ```
    pub fn has_provisional(&self) -> bool {
        self.rows.iter().any(|r| r.provisional)
    }

    /// The JSON form (also what snapshot tests store): instants in RFC 3339 in the calendar's
    /// zone; rows with their fields in reading order (`at, kind, stage, tier, detail, due`).
    ///
    /// ```
    /// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
    /// # let p = "policy: desk\ncalendar: weekdays\ntiers: [agent]\nstart: answer\nstages: { \
    /// #     answer: { owner: agent, due: 1 working day, on: { answered: done } }, \
    /// #     done: { terminal: true } }";
    /// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", p, None).unwrap().0.into());
    /// // Received Friday 6 March 2026 at 15:00 UTC: due at the end of Monday.
    /// let scenario = Scenario::parse(&Source::new("s", "ticket: { at: 2026-03-06T15:00:00Z }"));
    /// let json = simulate(&engine, &scenario.unwrap()).unwrap().to_json();
    /// assert_eq!(json["timezone"], "UTC");
    /// assert_eq!(json["rows"][2]["kind"], "deadline");
    /// assert_eq!(json["rows"][2]["due"], "2026-03-10T00:00:00+00:00");
    /// assert_eq!(json["final"]["stage"], "answer");
    /// ```
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.view()).unwrap_or(Value::Null)
    }

    /// The serialisable view behind [`Timeline::to_json`].
    ///
    /// ```
    /// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
    /// # let yaml = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: handle\n\
    /// #     stages: { handle: { owner: agent, due: 10 calendar days, on: { done: end } }, \
    /// #     end: { terminal: true } }";
    /// # let (policy, _) = ombud_engine::load_policy("p.yaml", yaml, None).unwrap();
    /// # let engine = Engine::new(policy.into());
    /// // Mon 21 Sep 2026 + 10 calendar days is Thu 1 Oct, National Day (1-7 Oct): the limit rolls
    /// // to the end of Thu 8 Oct, the next working day.
    /// let ticket = Source::new("s", "ticket: { at: 2026-09-21T10:00:00+08:00 }");
    /// let timeline = simulate(&engine, &Scenario::parse(&ticket).unwrap()).unwrap();
    /// let view = timeline.view();
    /// assert_eq!(view.rows[2].due.as_deref(), Some("2026-10-09T00:00:00+08:00"));
    /// assert_eq!(view.final_state.stage, "handle");
    /// ```
    pub fn view(&self) -> TimelineView<'_> {
        self.view_with(None)
    }

    /// [`Timeline::view`] with each row that set a deadline or breached followed by the
    /// explanation of its clock (`explanation` on the row), as `ombud simulate --explain
    /// --format json` prints it; `why` is what [`simulate_explained`] returned with `self`.
    pub fn view_explained<'a>(&'a self, why: &'a Explanations) -> TimelineView<'a> {
        self.view_with(Some(why))
    }

    fn view_with<'a>(&'a self, why: Option<&'a Explanations>) -> TimelineView<'a> {
        let tz = self.tz;
        let t = |at: DateTime<Utc>| timefmt::rfc3339(tz, at);
        let f = &self.final_state;
        let n = &self.next;
        TimelineView {
            policy: &self.policy,
            timezone: tz.name(),
            until: t(self.until),
            rows: self
                .rows
                .iter()
                .enumerate()
                .map(|(i, r)| RowView {
                    explanation: why.and_then(|w| w.row(i)),
                    at: t(r.at),
                    kind: r.kind.as_str(),
                    stage: r.stage.as_deref(),
                    tier: r.tier.as_deref(),
                    detail: &r.detail,
                    due: r.due.map(t),
                    previous_due: r.previous_due.map(t),
                    provisional: r.provisional,
                })
                .collect(),
            rejected: &self.rejected,
            condition_errors: self
                .condition_errors
                .iter()
                .map(|c| ConditionFailureView {
                    at: t(c.at),
                    condition: &c.condition,
                    message: &c.message,
                })
                .collect(),
            final_state: FinalView {
                stage: &f.stage,
                tier: f.tier.as_deref(),
                assignee: f.assignee.as_deref(),
                closed: f.closed,
                closed_at: f.closed_at.map(t),
                flagged: f.flagged,
                breaches: f.breaches,
                escalations: f.escalations,
                flags: f.flags,
                marks: &f.marks,
                mark_assignees: &f.mark_assignees,
            },
            next: NextView {
                events: &n.events,
                missing_artifacts: &n.missing_artifacts,
                pending_members: &n.pending_members,
                clocks: n
                    .clocks
                    .iter()
                    .map(|c| ClockRow {
                        kind: &c.kind,
                        name: &c.name,
                        tier: c.tier.as_deref(),
                        budget: &c.budget,
                        deadline: t(c.deadline),
                        used: (c.used * 1000.0).round() / 1000.0,
                        provisional: c.provisional,
                        paused: c.paused,
                        overdue: c.overdue,
                    })
                    .collect(),
                next_wakeup: n.next_wakeup.map(t),
            },
        }
    }
}

/// What `ombud simulate --format json` prints and snapshot tests store.
///
/// ```
/// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let policy = "policy: p\nversion: \"2\"\ncalendar: de-example\ntiers: [clerk]\nstart: a\n\
/// #     stages: { a: { owner: clerk, due: 2h, on: { ok: z } }, z: { terminal: true } }";
/// let engine = Engine::new(ombud_engine::load_policy("p.yaml", policy, None).unwrap().0.into());
/// let text = "ticket: { at: 2026-03-05T09:00:00Z }\nuntil: 2026-03-05T12:00:00Z\n";
/// let timeline = simulate(&engine, &Scenario::parse(&Source::new("s.yaml", text)).unwrap());
/// let timeline = timeline.unwrap();
/// let view = timeline.view();
/// assert_eq!((view.policy, view.timezone), ("p@2", "Europe/Berlin"));
/// assert_eq!(view.until, "2026-03-05T13:00:00+01:00"); // in the calendar's zone
/// ```
#[derive(Debug, Serialize)]
pub struct TimelineView<'a> {
    /// `id@version`.
    pub policy: &'a str,
    /// The zone instants are written in.
    pub timezone: &'a str,
    /// The instant the clock was run to.
    pub until: String,
    /// Every row.
    pub rows: Vec<RowView<'a>>,
    /// Refused events.
    pub rejected: &'a [RejectedEvent],
    /// Conditions that could not be evaluated; left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub condition_errors: Vec<ConditionFailureView<'a>>,
    /// The ticket at `until`.
    #[serde(rename = "final")]
    pub final_state: FinalView<'a>,
    /// What the ticket accepts and waits for at `until`.
    pub next: NextView<'a>,
}

/// A [`ConditionFailure`] in the JSON view.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let (policy, _) = ombud_engine::load_policy("p.yaml", "policy: p\ncalendar: de-example\n\
/// #     fields: { n: { type: int, default: 0 } }\n\
/// #     derive: { lane: [ { value: big, when: '10 / n > 1' }, { value: normal } ] }\n\
/// #     tiers: [agent]\nstart: handle\nstages: { handle: { owner: agent, due: 4h, \
/// #     on: { resolved: done } }, done: { terminal: true } }", None).unwrap();
/// # let engine = Engine::new(policy.into());
/// let s = Scenario::parse(&Source::new("s.yaml", "ticket: { at: 2026-03-02T09:00:00Z }")).unwrap();
/// let timeline = simulate(&engine, &s).unwrap();
/// let json = serde_json::to_value(timeline.view()).unwrap();
/// let failed = &json["condition_errors"][0];
/// assert_eq!(failed["at"], "2026-03-02T10:00:00+01:00"); // in the calendar's zone
/// assert_eq!(failed["condition"], "10 / n > 1");
/// ```
#[derive(Debug, Serialize)]
pub struct ConditionFailureView<'a> {
    /// When (RFC 3339 in the calendar's zone).
    pub at: String,
    /// The condition.
    pub condition: &'a str,
    /// Why it could not be evaluated.
    pub message: &'a str,
}

/// One row in reading order.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let policy = "policy: p\ncalendar: cn-mainland\ntiers: [officer]\nstart: investigate\n\
/// #     stages: { investigate: { owner: officer, due: 3 working days, on: { found: end } }, \
/// #     end: { terminal: true } }";
/// # let engine = Engine::new(ombud_engine::load_policy("p", policy, None).unwrap().0.into());
/// # let s = "ticket: { at: 2026-02-13T17:30:00+08:00 }";
/// # let timeline = simulate(&engine, &Scenario::parse(&Source::new("s", s)).unwrap()).unwrap();
/// // Received Fri 13 Feb 2026 17:30: Sat 14, Tue 24 and Wed 25 Feb are days 1–3.
/// let view = timeline.view();
/// let row = view.rows.iter().find(|r| r.kind == "deadline").unwrap();
/// assert_eq!((row.at.as_str(), row.stage), ("2026-02-13T17:30:00+08:00", Some("investigate")));
/// assert_eq!(row.detail, "3 working days → due Wed 25 Feb 2026 24:00");
/// assert_eq!(row.due.as_deref(), Some("2026-02-26T00:00:00+08:00"));
/// ```
#[derive(Debug, Serialize)]
pub struct RowView<'a> {
    /// When (RFC 3339 in the calendar's zone).
    pub at: String,
    /// What happened.
    pub kind: &'a str,
    /// Stage or obligation.
    pub stage: Option<&'a str>,
    /// Responsible tier after the row.
    pub tier: Option<&'a str>,
    /// Detail text.
    pub detail: &'a str,
    /// The deadline, for rows that set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// The deadline before an extension, for `extended` rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_due: Option<String>,
    /// Rests on days beyond the calendar's data.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// How the row's clock reached its deadline ([`Timeline::view_explained`] only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<&'a ClockExplanation>,
}

/// The final state in the JSON view.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let p = "policy: p\ncalendar: weekdays\ntiers: [agent, lead]\nstart: work\nstages: \
/// #     { work: { owner: agent, due: 4h, on: { fixed: done } }, done: { terminal: true } }";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", p, None).unwrap().0.into());
/// let text = "ticket: { at: 2026-03-02T09:00:00Z }\n\
///             events: [ { at: +10m, event: reassign, assignee: li.wei } ]";
/// let timeline = simulate(&engine, &Scenario::parse(&Source::new("s", text)).unwrap()).unwrap();
/// let view = timeline.view();
/// assert_eq!((view.final_state.stage, view.final_state.assignee), ("work", Some("li.wei")));
/// let json = serde_json::to_value(&view.final_state).unwrap();
/// assert_eq!(json["assignee"], "li.wei");
/// assert!(json.get("mark_assignees").is_none()); // left out: no mark names anyone
/// ```
#[derive(Debug, Serialize)]
pub struct FinalView<'a> {
    /// Stage.
    pub stage: &'a str,
    /// Tier.
    pub tier: Option<&'a str>,
    /// The person handling it for its tier; left out when nobody is named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<&'a str>,
    /// Closed?
    pub closed: bool,
    /// When it closed.
    pub closed_at: Option<String>,
    /// Flagged red now?
    pub flagged: bool,
    /// Breaches.
    pub breaches: u32,
    /// Escalations.
    pub escalations: u32,
    /// Flags.
    pub flags: u32,
    /// Tiers marked.
    pub marks: &'a [String],
    /// The person each mark was recorded against (`null`: nobody was named); left out when no
    /// mark names anyone.
    #[serde(skip_serializing_if = "names_nobody")]
    pub mark_assignees: &'a [Option<String>],
}

fn names_nobody(people: &&[Option<String>]) -> bool {
    people.iter().all(Option::is_none)
}

/// Next actions in the JSON view.
///
/// ```
/// # use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let p = "policy: p\ncalendar: cn-mainland\ntiers: [agent, lead]\nstart: handle\nstages: \
/// #     { handle: { owner: agent, due: 1 working day, on: { resolved: done } }, \
/// #     done: { terminal: true } }";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", p, None).unwrap().0.into());
/// // Received on National Day 2026: the one working day is Thu 8 Oct.
/// let scenario = Scenario::parse(&Source::new("s", "ticket: { at: 2026-10-01T12:00:00+08:00 }"));
/// let timeline = simulate(&engine, &scenario.unwrap()).unwrap();
/// let next = timeline.view().next;
/// assert_eq!(next.events[0].event, "resolved");
/// assert_eq!(next.events[0].by.as_deref(), Some("agent"));
/// assert_eq!(next.next_wakeup.as_deref(), Some("2026-10-09T00:00:00+08:00"));
/// ```
#[derive(Debug, Serialize)]
pub struct NextView<'a> {
    /// Accepted events.
    pub events: &'a [AcceptedEvent],
    /// Artifacts still missing.
    pub missing_artifacts: &'a [String],
    /// Joint-group members pending.
    pub pending_members: &'a [String],
    /// Running clocks.
    pub clocks: Vec<ClockRow<'a>>,
    /// When to wake the ticket next.
    pub next_wakeup: Option<String>,
}

/// A running clock in the JSON view.
///
/// ```
/// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate}};
/// # let policy = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: reply\nstages: { \
/// #     reply: { owner: agent, due: 2 working days, on: { sent: done } }, \
/// #     done: { terminal: true } }";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", policy, None).unwrap().0.into());
/// // Received Tue 3 Mar 2026 12:00 UTC: due at the end of Thu 5 Mar, 2.5 days later. At Wed 4 Mar
/// // 12:00, one day of the 2.5 is used.
/// let s = "ticket: { at: 2026-03-03T12:00:00Z }\nuntil: 2026-03-04T12:00:00Z\n";
/// let timeline = simulate(&engine, &Scenario::parse(&Source::new("s", s)).unwrap()).unwrap();
/// let clock = &timeline.view().next.clocks[0];
/// assert_eq!((clock.kind, clock.name, clock.budget), ("stage", "reply", "2 working days"));
/// assert_eq!(clock.deadline, "2026-03-06T00:00:00+00:00");
/// assert_eq!((clock.used, clock.overdue), (0.4, false));
/// ```
#[derive(Debug, Serialize)]
pub struct ClockRow<'a> {
    /// `stage` or `obligation`.
    pub kind: &'a str,
    /// Name.
    pub name: &'a str,
    /// Tier.
    pub tier: Option<&'a str>,
    /// Budget as written.
    pub budget: &'a str,
    /// Deadline.
    pub deadline: String,
    /// Share used at `until` (3 decimals).
    pub used: f64,
    /// Provisional?
    pub provisional: bool,
    /// Paused?
    pub paused: bool,
    /// Overdue?
    pub overdue: bool,
}

/// The concrete instants of a scenario on one policy's calendar; a relative time that ends after
/// the last instant the engine keeps is an `E0606` at `span`.
fn resolve(
    policy: &CompiledPolicy,
    base: DateTime<Utc>,
    spec: TimeSpec,
    span: Span,
    source: &Arc<Source>,
) -> Result<DateTime<Utc>, Box<Diagnostic>> {
    match spec {
        TimeSpec::At(t) => Ok(t),
        TimeSpec::After(d) => policy.calendar.add(base, d).map(|d| d.at).map_err(|e| {
            Box::new(
                Diagnostic::error(DiagnosticCode::E0606, format!("relative time {e}"))
                    .with_span(span)
                    .with_source(source)
                    .with_hint("write an instant or a shorter time: Ombud keeps years 1 to 9999"),
            )
        }),
    }
}

/// Runs `scenario` on `engine`. A refused event becomes a `rejected` row; only a ticket the
/// policy refuses to open (fields that do not fit) is an error, located at `ticket:` (`E0610`).
///
/// Relative times are resolved on the engine's calendar: each event's `+duration` counts from
/// the previous event (the first from the ticket's `at`), `until` from the last event (or the
/// latest instant the ticket has seen, if later).
///
/// ```
/// use ombud_engine::{check::Source, runtime::{Engine, RowKind}, simulate::{Scenario, simulate}};
/// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
/// let engine = Engine::new(std::sync::Arc::new(policy));
/// let text = "ticket: { at: 2026-02-13T17:50:00+08:00 }\n\
///             events: [ { at: +1 working day, event: registered } ]\n";
/// let timeline = simulate(&engine, &Scenario::parse(&Source::new("s.yaml", text)).unwrap());
/// // +1 working day is the end of the next working day: the make-up Saturday 14 Feb 2026.
/// let event = timeline.unwrap().rows.into_iter().find(|r| r.kind == RowKind::Event).unwrap();
/// assert_eq!(event.at.to_rfc3339(), "2026-02-14T16:00:00+00:00"); // 24:00 in Beijing
///
/// let early = "ticket: { at: 2026-02-13T17:50:00+08:00 }\nuntil: 2026-02-13T00:00:00Z";
/// let early = Scenario::parse(&Source::new("s.yaml", early)).unwrap();
/// assert_eq!(simulate(&engine, &early).unwrap_err().code, "E0611");
/// ```
pub fn simulate(engine: &Engine, scenario: &Scenario) -> Result<Timeline, Box<Diagnostic>> {
    run(engine, scenario, None)
}

/// [`simulate`], and the explanations of the timeline's clocks: what `ombud simulate --explain`
/// and `ombud explain` show. Building them costs more than the run itself, so [`simulate`] does
/// not.
///
/// ```
/// use ombud_engine::{check::Source, runtime::Engine, simulate::{Scenario, simulate_explained}};
/// # let p = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: work\nstages: \
/// #     { work: { owner: agent, due: 2 working days, on: { fixed: done } }, \
/// #     done: { terminal: true } }";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", p, None).unwrap().0.into());
/// // Received Friday 6 March 2026 at 15:00 UTC: two working days end with Tuesday.
/// let s = Scenario::parse(&Source::new("s", "ticket: { at: 2026-03-06T15:00:00Z }")).unwrap();
/// let (timeline, why) = simulate_explained(&engine, &s).unwrap();
/// assert_eq!(timeline, ombud_engine::simulate(&engine, &s).unwrap());
/// let deadline = timeline.rows.iter().position(|r| r.kind.as_str() == "deadline").unwrap();
/// let clock = why.row(deadline).unwrap();
/// assert_eq!(clock.deadline.to_rfc3339(), "2026-03-11T00:00:00+00:00");
/// let json = serde_json::to_value(timeline.view_explained(&why)).unwrap();
/// assert_eq!(json["rows"][deadline]["explanation"]["name"], "work");
/// ```
pub fn simulate_explained(
    engine: &Engine,
    scenario: &Scenario,
) -> Result<(Timeline, Explanations), Box<Diagnostic>> {
    let mut why = Explanations::default();
    let timeline = run(engine, scenario, Some(&mut why))?;
    Ok((timeline, why))
}

/// Runs `scenario`; with `why`, explains the clocks there as the run goes.
fn run(
    engine: &Engine,
    scenario: &Scenario,
    mut why: Option<&mut Explanations>,
) -> Result<Timeline, Box<Diagnostic>> {
    // A simulation shows figures, never the audit chain: its ticket is dropped at the end, so
    // sealing each record (serialising and hashing the ticket per call) would be wasted.
    let unsealed = engine.clone().without_audit_hashes();
    let engine = &unsealed;
    let policy = engine.policy();
    let open = OpenTicket {
        id: scenario.ticket.id.clone(),
        at: scenario.ticket.at,
        fields: scenario.ticket.fields.clone(),
    };
    let (mut ticket, outcome) = engine
        .open(&open)
        .map_err(|e| {
            Diagnostic::error(
                DiagnosticCode::E0610,
                format!("the policy refuses to open the ticket: {e}"),
            )
            .with_span(scenario.ticket.span)
            .with_source(&scenario.source)
            .with_hint(match e {
                Rejection::OutOfRange { .. } => {
                    "Ombud keeps instants up to 9999-12-31T23:59:59Z: open the ticket earlier"
                        .to_string()
                }
                _ => format!("fix `ticket.fields` to fit policy `{}`", policy.id),
            })
        })
        .map_err(Box::new)?;
    let mut condition_errors = Vec::new();
    note_failures(&mut condition_errors, scenario.ticket.at, &outcome);
    let mut rows = outcome.rows;
    if let Some(why) = why.as_deref_mut() {
        why.explain_rows(engine, &ticket, &rows, 0);
    }
    let mut rejected = Vec::new();
    let mut prev = scenario.ticket.at;
    for (i, ev) in scenario.events.iter().enumerate() {
        let at = resolve(policy, prev, ev.at.value, ev.at.span, &scenario.source)?;
        prev = at;
        let name = ev.event.value.as_str();
        let event = Event::try_from(ev.recorded(at));
        match engine.apply_read(&mut ticket, at, &event) {
            Ok(o) => {
                note_failures(&mut condition_errors, at, &o);
                let first = rows.len();
                rows.extend(o.rows);
                if let Some(why) = why.as_deref_mut() {
                    why.explain_rows(engine, &ticket, &rows, first);
                }
            }
            Err(err) => {
                // Time reached the event even though it was refused: what fell due before it
                // (a flag, an escalation) comes first, and the row shows who held the ticket then.
                if let Ok(o) = engine.advance(&mut ticket, at) {
                    note_failures(&mut condition_errors, at, &o);
                    rows.extend(o.rows);
                }
                rows.push(rejected_row_for(&ticket, at, name, &err));
                rejected.push(RejectedEvent {
                    index: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    event: name.to_string(),
                    code: err.code().to_string(),
                    message: err.to_string(),
                    at,
                });
            }
        }
    }
    // `until` counts from the last event — or from the latest instant the ticket has seen, when
    // the last event was refused for being out of order.
    let base = prev.max(ticket.clock_at);
    let until = match &scenario.until {
        Some(u) => resolve(policy, base, u.value, u.span, &scenario.source)?,
        None => base,
    };
    if until < ticket.clock_at {
        let span = scenario.until.as_ref().map(|u| u.span).unwrap_or_default();
        return Err(Box::new(
            Diagnostic::error(
                DiagnosticCode::E0611,
                format!(
                    "`until` ({}) is earlier than the last event ({})",
                    timefmt::human(policy.calendar.tz(), until),
                    timefmt::human(policy.calendar.tz(), ticket.clock_at)
                ),
            )
            .with_span(span)
            .with_source(&scenario.source)
            .with_hint("write a later instant, or a relative time like `+30 calendar days`"),
        ));
    }
    let outcome = engine.advance(&mut ticket, until).map_err(|e| {
        Box::new(
            Diagnostic::error(
                DiagnosticCode::E0610,
                format!("the engine refused to run the clock: {e}"),
            )
            .with_source(&scenario.source),
        )
    })?;
    note_failures(&mut condition_errors, until, &outcome);
    let first = rows.len();
    rows.extend(outcome.rows);
    if let Some(why) = why {
        why.explain_rows(engine, &ticket, &rows, first);
        why.final_clocks = engine
            .clock_names(&ticket)
            .iter()
            .filter_map(|name| engine.explain(&ticket, name).ok().flatten())
            .collect();
    }
    let next = engine.next_actions(&ticket, until).map_err(|e| {
        Box::new(
            Diagnostic::error(
                DiagnosticCode::E0610,
                format!("the engine refused to list next actions: {e}"),
            )
            .with_source(&scenario.source),
        )
    })?;
    let final_state = FinalState {
        stage: ticket.stage.to_string(),
        tier: ticket.tier.as_deref().map(str::to_string),
        assignee: ticket.assignee.as_deref().map(str::to_string),
        closed: ticket.is_closed(),
        closed_at: ticket.closed_at,
        flagged: ticket.flagged,
        breaches: ticket.stats.breaches,
        escalations: ticket.stats.escalations,
        flags: ticket.stats.flags,
        marks: ticket.marks.iter().map(|m| m.tier.to_string()).collect(),
        mark_assignees: ticket
            .marks
            .iter()
            .map(|m| m.assignee.as_deref().map(str::to_string))
            .collect(),
    };
    Ok(Timeline {
        policy: format!("{}@{}", policy.id, policy.version),
        tz: policy.calendar.tz(),
        covered_until: policy.calendar.coverage().1,
        rows,
        rejected,
        condition_errors,
        until,
        final_state,
        next,
    })
}
