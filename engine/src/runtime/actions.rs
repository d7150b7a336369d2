//! What a host shows and does next: the outcome of every call, and the next actions of a ticket.

use super::{Text, TimelineRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one call (`open`, `apply`, `advance`) produced. It serialises to JSON for a host that
/// queues the actions or logs the rows.
///
/// ```
/// use ombud_engine::runtime::{ActionKind, Outcome};
/// let outcome: Outcome = serde_json::from_str(r#"{
///     "rows": [{"at": "2026-03-02T11:00:00Z", "kind": "flag", "stage": "open", "tier": "agent",
///               "detail": "flagged red at 50%"}],
///     "actions": [{"at": "2026-03-02T11:00:00Z", "kind": "flag", "subject": "open",
///                  "tier": "agent"}],
///     "next_wakeup": "2026-03-02T13:00:00Z"}"#).unwrap();
/// assert_eq!(outcome.actions[0].kind, ActionKind::Flag);
/// assert_eq!(outcome.next_wakeup, Some("2026-03-02T13:00:00Z".parse().unwrap()));
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
}

/// Something the host must carry out. An escalation that carries a performance mark names the
/// tier it moved the ticket to (`tier`) and the tier and person the mark is against.
///
/// ```
/// use ombud_engine::runtime::{Action, ActionKind};
/// let a: Action = serde_json::from_str(r#"{"at": "2026-02-14T09:50:00Z", "kind": "escalate",
///     "subject": "verify", "tier": "supervisor", "mark": "performance",
///     "against": "frontline", "assignee": "zhang.min"}"#).unwrap();
/// assert_eq!((a.kind, a.tier.as_deref()), (ActionKind::Escalate, Some("supervisor")));
/// assert_eq!(a.against.as_deref(), Some("frontline"));
/// assert_eq!(a.assignee.as_deref(), Some("zhang.min"));
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
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, requires: [reply], on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
/// let (ticket, _) = engine.open(&input)?;
/// let next = engine.next_actions(&ticket, "2026-03-02T12:00:00Z".parse()?)?;
/// assert_eq!((next.stage.as_str(), next.tier.as_deref()), ("open", Some("agent")));
/// assert!(!next.closed);
/// assert_eq!(next.missing_artifacts, ["reply"]);
/// assert_eq!(next.events[0].blocked_by, ["missing reply"]);
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
/// use ombud_engine::runtime::AcceptedEvent;
/// let e: AcceptedEvent = serde_json::from_str(
///     r#"{"event": "report_filed", "to": "handle", "by": "frontline",
///         "blocked_by": ["missing investigation_report"]}"#).unwrap();
/// assert_eq!((e.to.as_deref(), e.by.as_deref()), (Some("handle"), Some("frontline")));
/// assert!(!e.blocked_by.is_empty(), "not accepted until the report is attached");
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
/// use ombud_engine::runtime::ClockView;
/// let c: ClockView = serde_json::from_str(r#"{"kind": "stage", "name": "handle",
///     "tier": "frontline", "budget": "3 working days", "deadline": "2026-02-26T16:00:00Z",
///     "used": 0.5, "provisional": false, "paused": false, "overdue": false}"#).unwrap();
/// assert_eq!((c.budget.as_str(), c.used, c.overdue), ("3 working days", 0.5, false));
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
    /// Share of the budget used at `now` (0.0–1.0, above 1 when overdue).
    pub used: f64,
    /// Whether the deadline rests on days beyond the calendar's data.
    pub provisional: bool,
    /// Whether the clock is stopped.
    pub paused: bool,
    /// Whether the deadline has passed.
    pub overdue: bool,
}
