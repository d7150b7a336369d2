//! What a host shows and does next: the outcome of every call, and the next actions of a ticket.

use super::{Text, TimelineRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one call (`open`, `apply`, `advance`) produced.
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

/// Something the host must carry out.
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

/// The kinds of [`Action`].
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

/// Everything a host can show for a ticket now.
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

/// An event the current state accepts.
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

/// A running clock as a host shows it.
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
