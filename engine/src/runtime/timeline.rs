//! Timeline rows: what happened to a ticket, in time order.

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a timeline row, written in snake case in JSON.
///
/// ```
/// use ombud_engine::runtime::RowKind;
/// assert_eq!(serde_json::to_string(&RowKind::Deadline).unwrap(), r#""deadline""#);
/// assert!(RowKind::Opened < RowKind::Closed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// The ticket was opened.
    Opened,
    /// The ticket entered a stage.
    Entered,
    /// A clock started: the row's `due` is its deadline.
    Deadline,
    /// A ladder step flagged the ticket red.
    Flag,
    /// A ladder step notified someone.
    Notify,
    /// Responsibility moved up (or to a named tier).
    Escalate,
    /// Responsibility was handed to another tier.
    Reassign,
    /// A deadline passed unmet.
    Breach,
    /// The stage clock stopped.
    Paused,
    /// The stage clock restarted.
    Resumed,
    /// A named event was applied.
    Event,
    /// An artifact was attached.
    Attached,
    /// An event was refused; the ticket is unchanged.
    Rejected,
    /// An obligation started or was discharged.
    Obligation,
    /// A joint handling group formed or a member reported.
    Group,
    /// The ticket reached a terminal stage.
    Closed,
}

impl RowKind {
    /// The lowercase name used in text and JSON.
    ///
    /// ```
    /// use ombud_engine::runtime::RowKind;
    /// assert_eq!(RowKind::Breach.as_str(), "breach");
    /// assert_eq!(RowKind::Breach.to_string(), "breach");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Opened => "opened",
            RowKind::Entered => "entered",
            RowKind::Deadline => "deadline",
            RowKind::Flag => "flag",
            RowKind::Notify => "notify",
            RowKind::Escalate => "escalate",
            RowKind::Reassign => "reassign",
            RowKind::Breach => "breach",
            RowKind::Paused => "paused",
            RowKind::Resumed => "resumed",
            RowKind::Event => "event",
            RowKind::Attached => "attached",
            RowKind::Rejected => "rejected",
            RowKind::Obligation => "obligation",
            RowKind::Group => "group",
            RowKind::Closed => "closed",
        }
    }
}

impl fmt::Display for RowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text in timeline rows and actions: names and short details are stored inline (up to 24 bytes)
/// without an allocation. Dereferences to `str`; `.to_string()` gives a `String`.
///
/// ```
/// use ombud_engine::runtime::Text;
/// let name = Text::from("service_center");
/// assert!(!name.is_heap_allocated());
/// assert_eq!((name.as_str(), name.len()), ("service_center", 14));
/// ```
pub type Text = CompactString;

/// One row of a ticket's timeline.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (_, outcome) = engine.open(&input).unwrap();
/// let row = &outcome.rows[2];
/// assert_eq!(row.kind, RowKind::Deadline);
/// assert_eq!((row.stage.as_deref(), row.tier.as_deref()), (Some("open"), Some("agent")));
/// assert_eq!(row.due, Some("2026-03-02T13:00:00Z".parse().unwrap()));
/// assert_eq!(row.detail, "4h → due Mon 2 Mar 2026 13:00");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineRow {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened.
    pub kind: RowKind,
    /// The stage (or obligation) it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Text>,
    /// The responsible tier after the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<Text>,
    /// Human-readable detail (instants in the calendar's zone).
    pub detail: Text,
    /// For `deadline` rows: the deadline instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// Set when the instant rests on days beyond the calendar's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}
