//! The ledger format: JSON Lines, one line per opening, event or calendar update, each naming
//! its ticket.
//!
//! ```text
//! {"ticket":"T-1","open":{"at":"2026-07-01T09:00:00+08:00","complainant":"C-7","fields":{"channel":"app"}}}
//! {"ticket":"T-1","event":{"at":"2026-07-01T09:20:00+08:00","event":"registered"}}
//! {"ticket":"T-1","calendar":{"at":"2026-12-20T10:00:00+08:00","id":"cn-mainland-2027"}}
//! ```
//!
//! `event` is exactly the engine's [`Event`]; `open` is [`OpenTicket`] without the id (the line's
//! `ticket` is the id) plus the ledger-level `complainant` (and the calendar update it was opened
//! on, if any); `calendar` is a calendar update that reached the ticket
//! ([`Engine::recalendar`](crate::runtime::Engine::recalendar)).

use crate::runtime::{Event, OpenTicket, RecordedEvent, Text};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One line of a ledger, as a host reads it back (its ledger export, say): the ticket and
/// one of its opening, one event or one calendar update.
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
    /// Set on a later line: the event, in the engine's own shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<RecordedEvent>,
    /// Set on a later line: a calendar update that reached the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<LedgerCalendar>,
}

/// What a ledger line carries (exactly one of `open`, `event` and `calendar`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum LineBody<'a> {
    /// The opening.
    Open(&'a LedgerOpen),
    /// An event.
    Event(&'a RecordedEvent),
    /// A calendar update.
    Calendar(&'a LedgerCalendar),
}

impl LedgerLine {
    /// The line's content; `None` unless it has exactly one of `open`, `event` and `calendar`.
    pub(super) fn body(&self) -> Option<LineBody<'_>> {
        match (&self.open, &self.event, &self.calendar) {
            (Some(o), None, None) => Some(LineBody::Open(o)),
            (None, Some(e), None) => Some(LineBody::Event(e)),
            (None, None, Some(c)) => Some(LineBody::Calendar(c)),
            _ => None,
        }
    }

    /// The instant the line happened at (`None` unless it has exactly one of `open`, `event` and
    /// `calendar`).
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self.body()? {
            LineBody::Open(o) => Some(o.at),
            LineBody::Event(e) => Some(e.at),
            LineBody::Calendar(c) => Some(c.at),
        }
    }

    /// An opening line.
    pub(super) fn opening(ticket: impl Into<Text>, open: LedgerOpen) -> Self {
        LedgerLine { ticket: ticket.into(), open: Some(open), event: None, calendar: None }
    }

    /// An event line.
    pub(super) fn event(ticket: impl Into<Text>, event: &Event) -> Self {
        LedgerLine {
            ticket: ticket.into(),
            open: None,
            event: Some(event.record()),
            calendar: None,
        }
    }
}

/// A calendar update that reached a ticket, as a ledger line records it: when, and the id of
/// the calendar its clocks count on from then on (a calendar file that `extends` the one the
/// policy names). Readers bring the ticket onto it with
/// [`Engine::recalendar`](crate::runtime::Engine::recalendar).
///
/// ```
/// use ombud_engine::ledger::LedgerLine;
/// let text = r#"{"ticket":"T-1","calendar":{"at":"2026-12-20T02:00:00Z","id":"cn-mainland-2027"}}"#;
/// let line: LedgerLine = serde_json::from_str(text)?;
/// assert_eq!(line.calendar.as_ref().map(|c| c.id.as_str()), Some("cn-mainland-2027"));
/// assert_eq!(serde_json::to_string(&line)?, text);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerCalendar {
    /// When the update reached the ticket.
    #[serde(deserialize_with = "crate::timefmt::de_instant")]
    pub at: DateTime<Utc>,
    /// The calendar's id.
    pub id: String,
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
    /// The calendar update the ticket was opened on (a host that runs the policy on a deployed
    /// calendar update); absent: the calendar the policy names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
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
    opening_line_on(open, complainant, None)
}

/// The ledger line of a ticket's opening on a calendar update (`calendar`: its id; `None`: the
/// calendar the policy names, as [`opening_line`] writes): a host that runs the policy on a
/// deployed calendar update opens its tickets on it, and the readers open them on it again.
///
/// ```
/// use ombud_engine::{OpenTicket, ledger::opening_line_on};
/// let open: OpenTicket = serde_json::from_str(r#"{"id":"T-1","at":"2026-12-21T09:00:00Z"}"#)?;
/// assert_eq!(opening_line_on(&open, None, Some("cn-mainland-2027")),
///     r#"{"ticket":"T-1","open":{"at":"2026-12-21T09:00:00Z","calendar":"cn-mainland-2027","fields":{}}}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn opening_line_on(
    open: &OpenTicket,
    complainant: Option<&str>,
    calendar: Option<&str>,
) -> String {
    let body = LedgerOpen {
        at: open.at,
        complainant: complainant.map(str::to_string),
        calendar: calendar.map(str::to_string),
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
    line_text(&LedgerLine {
        ticket: ticket.into(),
        open: None,
        event: Some(event.clone()),
        calendar: None,
    })
}

/// The ledger line of a calendar update that reached ticket `ticket` at `at`
/// (`{"ticket":…,"calendar":{"at","id"}}`, no line break): what a host appends when it brings
/// an open ticket onto a calendar update ([`Engine::recalendar`](crate::runtime::Engine::recalendar)),
/// so that the readers bring it onto the same calendar at the same instant.
///
/// ```
/// use ombud_engine::ledger::calendar_line;
/// let at = "2026-12-20T10:00:00+08:00".parse().unwrap();
/// assert_eq!(calendar_line("T-1", at, "cn-mainland-2027"),
///     r#"{"ticket":"T-1","calendar":{"at":"2026-12-20T02:00:00Z","id":"cn-mainland-2027"}}"#);
/// ```
pub fn calendar_line(ticket: &str, at: DateTime<Utc>, calendar: &str) -> String {
    line_text(&LedgerLine {
        ticket: ticket.into(),
        open: None,
        event: None,
        calendar: Some(LedgerCalendar { at, id: calendar.to_string() }),
    })
}

#[expect(clippy::expect_used, reason = "a ledger line always serialises")]
fn line_text(line: &LedgerLine) -> String {
    // INVARIANT: every part of a line is a string, an instant or a JSON value, and its maps
    // have string keys: serde_json cannot fail on it.
    serde_json::to_string(line).expect("a ledger line serialises")
}
