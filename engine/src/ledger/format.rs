//! The ledger format: JSON Lines, one line per opening or event, each naming its ticket.
//!
//! ```text
//! {"ticket":"T-1","open":{"at":"2026-07-01T09:00:00+08:00","complainant":"C-7","fields":{"channel":"app"}}}
//! {"ticket":"T-1","event":{"at":"2026-07-01T09:20:00+08:00","event":"registered"}}
//! ```
//!
//! `event` is exactly the engine's [`Event`]; `open` is [`OpenTicket`] without the id (the line's
//! `ticket` is the id) plus the ledger-level `complainant`.

use crate::runtime::{Event, OpenTicket, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One line of a ledger.
///
/// ```
/// use ombud_engine::ledger::{LedgerLine, LineBody};
/// let line: LedgerLine = serde_json::from_str(
///     r#"{"ticket":"T-1","event":{"at":"2026-07-01T09:20:00+08:00","event":"registered"}}"#,
/// ).unwrap();
/// assert_eq!(line.ticket, "T-1");
/// assert!(matches!(line.body(), Some(LineBody::Event(_))));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerLine {
    /// The ticket the line belongs to (inline, no allocation, when 24 bytes or shorter).
    pub ticket: Text,
    /// Set on the ticket's first line: the opening.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<LedgerOpen>,
    /// Set on every later line: the event, in the engine's own shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
}

/// What a ledger line carries (exactly one of `open` and `event`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineBody<'a> {
    /// The opening.
    Open(&'a LedgerOpen),
    /// An event.
    Event(&'a Event),
}

impl LedgerLine {
    /// The line's content; `None` when it has both or neither of `open` and `event`.
    pub fn body(&self) -> Option<LineBody<'_>> {
        match (&self.open, &self.event) {
            (Some(o), None) => Some(LineBody::Open(o)),
            (None, Some(e)) => Some(LineBody::Event(e)),
            _ => None,
        }
    }

    /// The instant the line happened at.
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self.body()? {
            LineBody::Open(o) => Some(o.at),
            LineBody::Event(e) => Some(e.at),
        }
    }

    /// An opening line.
    pub fn opening(ticket: impl Into<Text>, open: LedgerOpen) -> Self {
        LedgerLine { ticket: ticket.into(), open: Some(open), event: None }
    }

    /// An event line.
    pub fn event(ticket: impl Into<Text>, event: Event) -> Self {
        LedgerLine { ticket: ticket.into(), open: None, event: Some(event) }
    }
}

/// The opening of a ticket in a ledger: [`OpenTicket`] without the id, plus who complained.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerOpen {
    /// When the complaint was received.
    #[serde(deserialize_with = "crate::timefmt::de_instant")]
    pub at: DateTime<Utc>,
    /// Who complained (for the repeat-complaint rate). A ledger-level attribute, not a policy
    /// field; when absent, a string field `complainant` in `fields` is used instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complainant: Option<String>,
    /// Ticket data, checked against the policy's `fields`.
    #[serde(default)]
    pub fields: Map<String, Value>,
}

impl LedgerOpen {
    /// The engine's input for ticket `id`.
    pub fn to_open_ticket(&self, id: &str) -> OpenTicket {
        OpenTicket { id: id.to_string(), at: self.at, fields: self.fields.clone() }
    }

    /// The engine's input for ticket `id`, taking the fields rather than copying them.
    pub fn into_open_ticket(self, id: &str) -> OpenTicket {
        OpenTicket { id: id.to_string(), at: self.at, fields: self.fields }
    }

    /// The complainant: the ledger attribute, else a string field `complainant`.
    pub fn complainant(&self) -> Option<&str> {
        self.complainant
            .as_deref()
            .or_else(|| self.fields.get("complainant").and_then(Value::as_str))
            .filter(|c| !c.is_empty())
    }
}
