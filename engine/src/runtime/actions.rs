//! What a host shows and does next: the outcome of every call, and the next actions of a ticket.

use super::{Text, TimelineRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one call (`open`, `apply`, `advance`) produced. It serialises to JSON for a host that
/// queues the actions or logs the rows.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id": "D-1", "at": "2026-03-02T09:00:00Z"}"#)?;
/// let (mut ticket, opened) = engine.open(&input)?;
/// let kinds: Vec<&str> = opened.rows.iter().map(|r| r.kind.as_str()).collect();
/// assert_eq!(kinds, ["opened", "entered", "deadline"]);
/// assert!(opened.actions.is_empty());
/// // The host sets its timer to `next_wakeup`: the 50 % flag at 11:00.
/// let later = engine.advance(&mut ticket, opened.next_wakeup.unwrap())?;
/// assert_eq!(later.actions[0].kind, ActionKind::Flag);
/// let json = serde_json::to_value(&later)?;
/// assert_eq!(json["actions"][0]["kind"], "flag");
/// assert_eq!(json["next_wakeup"], "2026-03-02T13:00:00Z"); // the deadline
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Timeline rows, in time order.
    pub rows: Vec<TimelineRow>,
    /// What the host must do now (notify, escalate, flag, report a breach).
    pub actions: Vec<Action>,
    /// The earliest instant at which `advance` would change anything; `None` when closed or
    /// nothing is scheduled. The host sets its one timer per ticket to this.
    pub next_wakeup: Option<DateTime<Utc>>,
    /// Conditions the call could not evaluate, each once per reason. Such a condition counts as
    /// false (a derive rule, owner, time limit, ladder step, automatic transition, group or
    /// obligation it guards does not apply); a failing transition guard refuses the event
    /// instead. Empty, and left out of the JSON, when every condition evaluated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub condition_errors: Vec<ConditionError>,
}

/// A condition that failed to evaluate on the ticket's values (an index past the end of a list,
/// a division by zero), which counted as false.
///
/// ```
/// # use ombud_engine::runtime::*;
/// let text = r#"
/// policy: desk
/// calendar: weekdays
/// fields: { tags: { type: list, default: [] } }
/// derive:
///   lane: [ { value: second, when: 'tags[1] == "vip"' }, { value: normal } ]
/// tiers: [agent]
/// start: open
/// stages:
///   open: { owner: agent, due: 4h, on: { done: closed } }
///   closed: { terminal: true }
/// "#;
/// let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// let input: OpenTicket = serde_json::from_str(
///     r#"{"id": "D-1", "at": "2026-03-02T09:00:00Z", "fields": {"tags": ["new"]}}"#)?;
/// let (ticket, opened) = engine.open(&input)?;
/// // `tags` has one entry: the rule could not be evaluated, so the next rule gave the value.
/// assert_eq!(ticket.fields()["lane"], "normal");
/// let error = &opened.condition_errors[0];
/// assert_eq!(error.condition, r#"tags[1] == "vip""#);
/// assert!(error.message.contains("out of bounds"), "{}", error.message);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionError {
    /// The condition as the policy writes it.
    pub condition: String,
    /// Why it could not be evaluated.
    pub message: String,
}

/// Something the host must carry out. An escalation that carries a performance mark names the
/// tier it moved the ticket to (`tier`) and the tier and person the mark is against.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::reference();
/// # let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let input: OpenTicket = serde_json::from_str(r#"{"id": "T-1",
///     "at": "2026-02-13T17:30:00+08:00", "fields": {"text": "overcharged on my bill"}}"#)?;
/// let (mut ticket, _) = engine.open(&input)?;
/// engine.apply(&mut ticket, &Event::named("registered", at("2026-02-13T17:50:00+08:00")))?;
/// engine.apply(&mut ticket, &Event::assign("zhang.min", at("2026-02-13T18:00:00+08:00")))?;
/// // Verification runs 24 hours: at the deadline the ticket breaches and escalates.
/// let outcome = engine.advance(&mut ticket, at("2026-02-14T17:50:00+08:00"))?;
/// let escalation = outcome.actions.iter().find(|a| a.kind == ActionKind::Escalate).unwrap();
/// assert_eq!(escalation.tier.as_deref(), Some("supervisor"));
/// assert_eq!(escalation.mark.as_deref(), Some("performance"));
/// assert_eq!(escalation.against.as_deref(), Some("frontline"));
/// assert_eq!(escalation.assignee.as_deref(), Some("zhang.min"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// When it became due.
    pub at: DateTime<Utc>,
    /// What to do.
    pub kind: ActionKind,
    /// The stage or obligation concerned.
    pub subject: Text,
    /// The tier to notify or that now holds the ticket.
    pub tier: Option<Text>,
    /// A performance mark to record, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<Text>,
    /// For a mark: the tier it is recorded against, the one that held the ticket when the step
    /// fell due (`tier` is where an escalation moved it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub against: Option<Text>,
    /// For a mark: the person it is recorded against, the ticket's assignee when the step fell
    /// due, if the host had named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Text>,
}

/// The kinds of [`Action`], written in snake case in JSON.
///
/// ```
/// use ombud_engine::runtime::ActionKind;
/// assert_eq!(serde_json::to_string(&ActionKind::Escalate).unwrap(), r#""escalate""#);
/// assert_eq!(serde_json::from_str::<ActionKind>(r#""breach""#).unwrap(), ActionKind::Breach);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Mark the ticket red in the host's UI.
    Flag,
    /// Send a notification to the tier.
    Notify,
    /// Hand the ticket to a higher tier.
    Escalate,
    /// Hand the ticket to another tier.
    Reassign,
    /// A deadline was missed: record it.
    Breach,
}

/// Everything a host can show for a ticket now; [`Engine::next_actions`] builds it.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::reference();
/// # let mut ticket = ombud_engine::doc_support::opened(&engine);
/// engine.apply(&mut ticket, &Event::named("registered", "2026-03-02T09:30:00Z".parse()?))?;
/// let next = engine.next_actions(&ticket, "2026-03-02T12:00:00Z".parse()?)?;
/// assert_eq!((next.stage.as_str(), next.tier.as_deref()), ("verify", Some("frontline")));
/// assert!(!next.closed);
/// assert_eq!(next.missing_artifacts, ["investigation_report"]);
/// assert_eq!(next.events[0].blocked_by, ["missing investigation_report"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`Engine::next_actions`]: crate::runtime::Engine::next_actions
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NextActions {
    /// Current stage.
    pub stage: String,
    /// Responsible tier.
    pub tier: Option<String>,
    /// The person handling it for that tier, if the host named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Whether the ticket is closed.
    pub closed: bool,
    /// Events the ticket accepts now, and who should send them.
    pub events: Vec<AcceptedEvent>,
    /// Artifacts the stage requires that are not attached.
    pub missing_artifacts: Vec<String>,
    /// Joint-group members that have not reported done.
    pub pending_members: Vec<String>,
    /// Running clocks: the stage's and every open obligation's.
    pub clocks: Vec<ClockView>,
    /// When to call `advance` next.
    pub next_wakeup: Option<DateTime<Utc>>,
}

/// An event the current state accepts, as [`NextActions::events`] lists it.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::reference();
/// # let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let input: OpenTicket = serde_json::from_str(r#"{"id": "T-1",
///     "at": "2026-02-13T17:30:00+08:00", "fields": {"text": "overcharged on my bill"}}"#)?;
/// let (mut ticket, _) = engine.open(&input)?;
/// engine.apply(&mut ticket, &Event::named("registered", at("2026-02-13T17:50:00+08:00")))?;
/// let next = engine.next_actions(&ticket, at("2026-02-13T18:00:00+08:00"))?;
/// let filed = next.events.iter().find(|e| e.event == "report_filed").unwrap();
/// assert_eq!((filed.to.as_deref(), filed.by.as_deref()), (Some("handle"), Some("frontline")));
/// // Not accepted until the investigation report is attached.
/// assert_eq!(filed.blocked_by, ["missing investigation_report"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedEvent {
    /// Event name.
    pub event: String,
    /// Where it leads, for transitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The tier expected to send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// For `member_done`: the joint-group member it completes (`lead` for the lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// What still blocks it (missing artifacts, pending members, a false condition); empty when
    /// it would be accepted now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<String>,
}

/// A running clock as a host shows it, as [`NextActions::clocks`] lists it.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::reference();
/// # let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
/// let input: OpenTicket = serde_json::from_str(r#"{"id": "T-1",
///     "at": "2026-02-13T17:30:00+08:00", "fields": {"text": "overcharged on my bill"}}"#)?;
/// let (mut ticket, _) = engine.open(&input)?;
/// engine.apply(&mut ticket, &Event::named("registered", at("2026-02-13T17:50:00+08:00")))?;
/// let report = Event::attach("investigation_report", at("2026-02-14T10:00:00+08:00"));
/// engine.apply(&mut ticket, &report)?;
/// engine.apply(&mut ticket, &Event::named("report_filed", at("2026-02-14T10:05:00+08:00")))?;
/// // Handling: 3 working days from the make-up Saturday, across the Spring Festival holiday.
/// let next = engine.next_actions(&ticket, at("2026-02-20T12:00:00+08:00"))?;
/// let clock = &next.clocks[0];
/// assert_eq!((clock.kind.as_str(), clock.name.as_str()), ("stage", "handle"));
/// assert_eq!(clock.budget, "3 working days");
/// assert_eq!(clock.deadline, at("2026-02-27T00:00:00+08:00")); // the end of Thu 26 Feb
/// // The holiday does not count: only the rest of Saturday is used.
/// assert!(clock.used < 0.2 && !clock.overdue);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClockView {
    /// `stage` or `obligation`.
    pub kind: String,
    /// Stage or obligation name.
    pub name: String,
    /// Who is responsible.
    pub tier: Option<String>,
    /// The limit as written.
    pub budget: String,
    /// When it runs out.
    pub deadline: DateTime<Utc>,
    /// Share of the limit used at `now` (0.0–1.0, above 1 when overdue), as the ladder's `P%`
    /// steps measure it: a deadline's roll-off counts in the limit; a paused clock shows the share
    /// it had used when it stopped.
    pub used: f64,
    /// Whether the deadline rests on days beyond the calendar's data.
    pub provisional: bool,
    /// Whether the clock is stopped.
    pub paused: bool,
    /// Whether the deadline has passed.
    pub overdue: bool,
}
