//! Timeline rows: what happened to a ticket, in time order.

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of a timeline row.
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
pub type Text = CompactString;

/// One row of a ticket's timeline.
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
