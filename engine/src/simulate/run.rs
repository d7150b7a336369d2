//! Running a scenario: open the ticket, apply every event (a refused one becomes a `rejected`
//! row), run the clock to `until`, and collect the timeline, the final state and the next actions.

use super::scenario::{Scenario, TimeSpec};
use crate::check::Diagnostic;
use crate::compile::CompiledPolicy;
use crate::runtime::{
    AcceptedEvent, Engine, Event, NextActions, OpenTicket, RowKind, Text, TimelineRow, rejected_row,
};
use crate::timefmt;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;

/// The result of running a scenario.
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
    /// The instant the clock was run to.
    pub until: DateTime<Utc>,
    /// The ticket at `until`.
    pub final_state: FinalState,
    /// What the ticket accepts and waits for at `until`.
    pub next: NextActions,
}

/// A refused scenario event.
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
}

/// The ticket at the end of a scenario.
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
    pub fn deadline_of(&self, stage: &str) -> Option<DateTime<Utc>> {
        self.rows
            .iter()
            .rev()
            .filter(|r| {
                matches!(r.kind, RowKind::Deadline | RowKind::Resumed | RowKind::Obligation)
            })
            .find(|r| r.stage.as_deref() == Some(stage) && r.due.is_some())
            .and_then(|r| r.due)
    }

    /// Names of every stage or obligation that has a deadline in the timeline.
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
    pub fn has_provisional(&self) -> bool {
        self.rows.iter().any(|r| r.provisional)
    }

    /// The JSON form (also what snapshot tests store): instants in RFC 3339 in the calendar's
    /// zone; rows with their fields in reading order (`at, kind, stage, tier, detail, due`).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.view()).unwrap_or(Value::Null)
    }

    /// The serialisable view behind [`Timeline::to_json`].
    pub fn view(&self) -> TimelineView<'_> {
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
                .map(|r| RowView {
                    at: t(r.at),
                    kind: r.kind.as_str(),
                    stage: r.stage.as_deref(),
                    tier: r.tier.as_deref(),
                    detail: &r.detail,
                    due: r.due.map(t),
                    provisional: r.provisional,
                })
                .collect(),
            rejected: &self.rejected,
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
    /// The ticket at `until`.
    #[serde(rename = "final")]
    pub final_state: FinalView<'a>,
    /// What the ticket accepts and waits for at `until`.
    pub next: NextView<'a>,
}

/// One row in reading order.
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
    /// Rests on days beyond the calendar's data.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

/// The final state in the JSON view.
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

/// The concrete instants of a scenario on one policy's calendar.
fn resolve(policy: &CompiledPolicy, base: DateTime<Utc>, spec: TimeSpec) -> DateTime<Utc> {
    match spec {
        TimeSpec::At(t) => t,
        TimeSpec::After(d) => policy.calendar.add(base, d).at,
    }
}

/// Runs `scenario` on `engine`. A refused event becomes a `rejected` row; only a ticket the
/// policy refuses to open (fields that do not fit) is an error, located at `ticket:` (`E0610`).
///
/// Relative times are resolved on the engine's calendar: each event's `+duration` counts from
/// the previous event (the first from the ticket's `at`), `until` from the last event (or the
/// latest instant the ticket has seen, if later).
pub fn simulate(engine: &Engine, scenario: &Scenario) -> Result<Timeline, Box<Diagnostic>> {
    let policy = engine.policy();
    let open = OpenTicket {
        id: scenario.ticket.id.clone(),
        at: scenario.ticket.at,
        fields: scenario.ticket.fields.clone(),
    };
    let (mut ticket, outcome) = engine
        .open(&open)
        .map_err(|e| {
            Diagnostic::error("E0610", format!("the policy refuses to open the ticket: {e}"))
                .with_span(scenario.ticket.span)
                .with_source(&scenario.source)
                .with_hint(format!("fix `ticket.fields` to fit policy `{}`", policy.id))
        })
        .map_err(Box::new)?;
    let mut rows = outcome.rows;
    let mut rejected = Vec::new();
    let mut prev = scenario.ticket.at;
    for (i, ev) in scenario.events.iter().enumerate() {
        let at = resolve(policy, prev, ev.at.value);
        prev = at;
        let event = Event {
            at,
            event: Text::from(&ev.event.value),
            artifact: ev.artifact.clone(),
            data: ev.data.clone(),
            member: ev.member.clone(),
            to: ev.to.clone(),
            assignee: ev.assignee.clone(),
            by: ev.by.clone(),
        };
        match engine.apply(&mut ticket, &event) {
            Ok(o) => rows.extend(o.rows),
            Err(err) => {
                rows.push(rejected_row(&ticket, &event, &err));
                rejected.push(RejectedEvent {
                    index: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    event: event.event.to_string(),
                    code: err.code().to_string(),
                    message: err.to_string(),
                });
            }
        }
    }
    // `until` counts from the last event — or from the latest instant the ticket has seen, when
    // the last event was refused for being out of order.
    let base = prev.max(ticket.clock_at);
    let until = match &scenario.until {
        Some(u) => resolve(policy, base, u.value),
        None => base,
    };
    if until < ticket.clock_at {
        let span = scenario.until.as_ref().map(|u| u.span).unwrap_or_default();
        return Err(Box::new(
            Diagnostic::error(
                "E0611",
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
            Diagnostic::error("E0610", format!("the engine refused to run the clock: {e}"))
                .with_source(&scenario.source),
        )
    })?;
    rows.extend(outcome.rows);
    let next = engine.next_actions(&ticket, until).map_err(|e| {
        Box::new(
            Diagnostic::error("E0610", format!("the engine refused to list next actions: {e}"))
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
        until,
        final_state,
        next,
    })
}
