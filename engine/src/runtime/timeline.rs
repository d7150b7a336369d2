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
    /// An event extended a clock: the row's `due` is the new deadline, `previous_due` the old.
    Extended,
    /// A joint handling group formed or a member reported.
    Group,
    /// The ticket reached a terminal stage.
    Closed,
    /// A calendar update confirmed or moved a clock's deadline: the row's `due` is the deadline.
    Recalendared,
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
            RowKind::Extended => "extended",
            RowKind::Group => "group",
            RowKind::Closed => "closed",
            RowKind::Recalendared => "recalendared",
        }
    }
}

impl fmt::Display for RowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text in timeline rows, actions and a ticket's names. Short text (names, most details) is
/// stored without an allocation of its own. It reads as a `&str` (`Deref`, `as_str`), compares
/// with `&str` and `String`, and serialises as a JSON string.
///
/// ```
/// use ombud_engine::runtime::Text;
/// let name = Text::from("service_center");
/// assert_eq!((name.as_str(), name.len()), ("service_center", 14));
/// assert_eq!(name, "service_center");
/// assert_eq!(serde_json::to_string(&name).unwrap(), r#""service_center""#);
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(CompactString);

impl Text {
    /// The text as a `&str`.
    ///
    /// ```
    /// assert_eq!(ombud_engine::runtime::Text::from("archive").as_str(), "archive");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text `args` format to.
    pub(crate) fn from_args(args: fmt::Arguments<'_>) -> Text {
        let mut text = Text::default();
        // Writing to a text buffer cannot fail.
        let _ = fmt::Write::write_fmt(&mut text, args);
        text
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_str(s);
        Ok(())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(CompactString::from(s))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(CompactString::from(s.as_str()))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(CompactString::from(s))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.0.into_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

/// One row of a ticket's timeline.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
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
    /// For rows that set a deadline (`deadline`, `resumed`, `obligation` starts, `extended`):
    /// the deadline instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    /// For `extended` rows: the deadline before the extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_due: Option<DateTime<Utc>>,
    /// Set when the instant rests on days beyond the calendar's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}
