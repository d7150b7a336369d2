//! The ledger format: JSON Lines, one line per opening or event, each naming its ticket.
//!
//! ```text
//! {"ticket":"T-1","open":{"at":"2026-07-01T09:00:00+08:00","complainant":"C-7","fields":{"channel":"app"}}}
//! {"ticket":"T-1","event":{"at":"2026-07-01T09:20:00+08:00","event":"registered"}}
//! ```
//!
//! `event` is exactly the engine's [`Event`]; `open` is [`OpenTicket`] without the id (the line's
//! `ticket` is the id) plus the ledger-level `complainant`.

use crate::runtime::{Event, OpenTicket, RecordedEvent, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One line of a ledger, as a host reads it back (its ledger export, say): the ticket and
/// either its opening or one event.
///
/// ```
/// use ombud_engine::ledger::LedgerLine;
/// let line: LedgerLine = serde_json::from_str(
///     r#"{"ticket":"T-1","open":{"at":"2026-02-13T17:30:00+08:00","fields":{"text":"fee"}}}"#,
/// )?;
/// let open = line.open.as_ref().map(|o| o.to_open_ticket(&line.ticket));
/// assert_eq!(open.map(|o| o.id), Some("T-1".to_string()));
/// # Ok::<(), serde_json::Error>(())
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
    pub event: Option<RecordedEvent>,
}

/// What a ledger line carries (exactly one of `open` and `event`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LineBody<'a> {
    /// The opening.
    Open(&'a LedgerOpen),
    /// An event.
    Event(&'a RecordedEvent),
}

impl LedgerLine {
    /// The line's content; `None` when it has both or neither of `open` and `event`.
    pub(super) fn body(&self) -> Option<LineBody<'_>> {
        match (&self.open, &self.event) {
            (Some(o), None) => Some(LineBody::Open(o)),
            (None, Some(e)) => Some(LineBody::Event(e)),
            _ => None,
        }
    }

    /// The instant the line happened at (`None` when it has both or neither of `open` and `event`).
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self.body()? {
            LineBody::Open(o) => Some(o.at),
            LineBody::Event(e) => Some(e.at),
        }
    }

    /// An opening line.
    pub(super) fn opening(ticket: impl Into<Text>, open: LedgerOpen) -> Self {
        LedgerLine { ticket: ticket.into(), open: Some(open), event: None }
    }

    /// An event line.
    pub(super) fn event(ticket: impl Into<Text>, event: &Event) -> Self {
        LedgerLine { ticket: ticket.into(), open: None, event: Some(event.record()) }
    }
}

/// The opening of a ticket in a ledger: [`OpenTicket`] without the id, plus who complained.
/// Read through [`LedgerLine`].
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
    pub(super) fn into_open_ticket(self, id: &str) -> OpenTicket {
        OpenTicket { id: id.to_string(), at: self.at, fields: self.fields }
    }

    /// The complainant: the ledger attribute, else (when it is absent or empty) a string field
    /// `complainant`; `None` when neither names anyone.
    pub(super) fn complainant(&self) -> Option<&str> {
        // An empty attribute names nobody, so the field still can.
        self.complainant
            .as_deref()
            .filter(|c| !c.is_empty())
            .or_else(|| self.fields.get("complainant").and_then(Value::as_str))
            .filter(|c| !c.is_empty())
    }
}

/// The ledger line of a ticket's opening (`{"ticket":…,"open":{"at","complainant","fields"}}`,
/// no line break): what a host appends to its ledger when it opens a ticket, read back as
/// written by [`replay`](super::replay) and the other ledger readers. `complainant` is the
/// ledger-level attribute the repeat-complaint figures count by.
///
/// ```
/// use ombud_engine::{OpenTicket, ledger::opening_line};
/// let open: OpenTicket = serde_json::from_str(
///     r#"{"id":"T-1","at":"2026-07-01T09:00:00+08:00","fields":{"channel":"app"}}"#)?;
/// assert_eq!(opening_line(&open, Some("C-7")),
///     r#"{"ticket":"T-1","open":{"at":"2026-07-01T01:00:00Z","complainant":"C-7","fields":{"channel":"app"}}}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn opening_line(open: &OpenTicket, complainant: Option<&str>) -> String {
    let body = LedgerOpen {
        at: open.at,
        complainant: complainant.map(str::to_string),
        fields: open.fields.clone(),
    };
    line_text(&LedgerLine::opening(open.id.as_str(), body))
}

/// The ledger line of an event of ticket `ticket` (`{"ticket":…,"event":{…}}`, no line break):
/// the event in its flat form, as the audit chain records it ([`Event::record`]).
///
/// ```
/// use ombud_engine::{Event, ledger::event_line};
/// let mut done = Event::named("done", "2026-07-01T10:00:00Z".parse().unwrap());
/// done.by = Some("agent-4".into());
/// assert_eq!(event_line("T-1", &done.record()),
///     r#"{"ticket":"T-1","event":{"at":"2026-07-01T10:00:00Z","event":"done","by":"agent-4"}}"#);
/// ```
pub fn event_line(ticket: &str, event: &RecordedEvent) -> String {
    line_text(&LedgerLine { ticket: ticket.into(), open: None, event: Some(event.clone()) })
}

#[expect(clippy::expect_used, reason = "a ledger line always serialises")]
fn line_text(line: &LedgerLine) -> String {
    // INVARIANT: every part of a line is a string, an instant or a JSON value, and its maps
    // have string keys: serde_json cannot fail on it.
    serde_json::to_string(line).expect("a ledger line serialises")
}
