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
///
/// ```
/// use ombud_engine::ledger::{LineBody, parse_line};
/// let text = r#"{"ticket":"T-1","open":{"at":"2026-07-01T09:00:00+08:00","complainant":"C-7"}}"#;
/// match parse_line(1, text).unwrap().body() {
///     Some(LineBody::Open(open)) => assert_eq!(open.complainant(), Some("C-7")),
///     other => panic!("expected an opening, got {other:?}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LineBody<'a> {
    /// The opening.
    Open(&'a LedgerOpen),
    /// An event.
    Event(&'a Event),
}

impl LedgerLine {
    /// The line's content; `None` when it has both or neither of `open` and `event`.
    ///
    /// ```
    /// use ombud_engine::{ledger::{LedgerLine, LineBody}, runtime::Event};
    /// let at = "2026-07-01T01:20:00Z".parse().unwrap();
    /// let line = LedgerLine::event("T-1", Event::named("registered", at));
    /// assert!(matches!(line.body(), Some(LineBody::Event(e)) if e.event == "registered"));
    /// let neither = LedgerLine { event: None, ..line };
    /// assert_eq!(neither.body(), None);
    /// ```
    pub fn body(&self) -> Option<LineBody<'_>> {
        match (&self.open, &self.event) {
            (Some(o), None) => Some(LineBody::Open(o)),
            (None, Some(e)) => Some(LineBody::Event(e)),
            _ => None,
        }
    }

    /// The instant the line happened at (`None` when the line has no [`body`](Self::body)).
    ///
    /// ```
    /// let text = r#"{"ticket":"T-1","event":{"at":"2026-07-01T09:20:00+08:00","event":"x"}}"#;
    /// let line = ombud_engine::ledger::parse_line(1, text).unwrap();
    /// assert_eq!(line.at().unwrap().to_rfc3339(), "2026-07-01T01:20:00+00:00");
    /// ```
    pub fn at(&self) -> Option<DateTime<Utc>> {
        match self.body()? {
            LineBody::Open(o) => Some(o.at),
            LineBody::Event(e) => Some(e.at),
        }
    }

    /// An opening line.
    ///
    /// ```
    /// use ombud_engine::ledger::{LedgerLine, LedgerOpen};
    /// let at = "2026-07-01T01:00:00Z".parse().unwrap();
    /// let open = LedgerOpen { at, complainant: Some("C-7".into()), fields: Default::default() };
    /// let json = serde_json::to_string(&LedgerLine::opening("T-1", open)).unwrap();
    /// let open = r#""open":{"at":"2026-07-01T01:00:00Z","complainant":"C-7","fields":{}}"#;
    /// assert_eq!(json, format!(r#"{{"ticket":"T-1",{open}}}"#));
    /// ```
    pub fn opening(ticket: impl Into<Text>, open: LedgerOpen) -> Self {
        LedgerLine { ticket: ticket.into(), open: Some(open), event: None }
    }

    /// An event line.
    ///
    /// ```
    /// use ombud_engine::{ledger::LedgerLine, runtime::Event};
    /// let at = "2026-07-01T07:00:00Z".parse().unwrap();
    /// let line = LedgerLine::event("T-1", Event::attach("investigation_report", at));
    /// let json = serde_json::to_string(&line).unwrap();
    /// assert!(json.starts_with(r#"{"ticket":"T-1","event":{"at":"2026-07-01T07:00:00Z","#));
    /// assert!(json.ends_with(r#""event":"attach","artifact":"investigation_report"}}"#));
    /// ```
    pub fn event(ticket: impl Into<Text>, event: Event) -> Self {
        LedgerLine { ticket: ticket.into(), open: None, event: Some(event) }
    }
}

/// The opening of a ticket in a ledger: [`OpenTicket`] without the id, plus who complained.
///
/// ```
/// let text = r#"{"ticket":"T-5","open":{"at":"2026-07-06T09:00:00+08:00","complainant":"C-1",
///     "fields":{"text":"double billing on my account","channel":"app"}}}"#;
/// let open = ombud_engine::ledger::parse_line(38, text).unwrap().open.unwrap();
/// assert_eq!(open.complainant.as_deref(), Some("C-1"));
/// assert_eq!(open.fields["channel"], "app");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerOpen {
    /// When the complaint was received.
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
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let (policy, _) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
    /// let engine = ombud_engine::runtime::Engine::new(std::sync::Arc::new(policy));
    /// let open: ombud_engine::ledger::LedgerOpen = serde_json::from_str(
    ///     r#"{"at":"2026-07-01T09:00:00+08:00","fields":{"text":"overcharge","channel":"app"}}"#,
    /// ).unwrap();
    /// let (ticket, _) = engine.open(&open.to_open_ticket("T-1")).unwrap();
    /// assert_eq!((ticket.id.as_str(), ticket.stage.as_str()), ("T-1", "intake"));
    /// assert_eq!(ticket.fields.get("category").unwrap(), "fees");
    /// ```
    pub fn to_open_ticket(&self, id: &str) -> OpenTicket {
        OpenTicket { id: id.to_string(), at: self.at, fields: self.fields.clone() }
    }

    /// The engine's input for ticket `id`, taking the fields rather than copying them.
    ///
    /// ```
    /// use ombud_engine::ledger::LedgerOpen;
    /// let mut fields = serde_json::Map::new();
    /// fields.insert("channel".into(), "web".into());
    /// let at = "2026-07-10T01:00:00Z".parse().unwrap();
    /// let open = LedgerOpen { at, complainant: None, fields };
    /// let input = open.into_open_ticket("T-10");
    /// assert_eq!((input.id.as_str(), input.fields["channel"].as_str()), ("T-10", Some("web")));
    /// ```
    pub fn into_open_ticket(self, id: &str) -> OpenTicket {
        OpenTicket { id: id.to_string(), at: self.at, fields: self.fields }
    }

    /// The complainant: the ledger attribute, else (when it is absent or empty) a string field
    /// `complainant`; `None` when neither names anyone.
    ///
    /// ```
    /// use ombud_engine::ledger::LedgerOpen;
    /// let open: LedgerOpen = serde_json::from_str(
    ///     r#"{"at":"2026-07-02T09:00:00+08:00","fields":{"complainant":"C-3"}}"#,
    /// ).unwrap();
    /// assert_eq!(open.complainant(), Some("C-3"));
    /// let mut anonymous = open.clone();
    /// anonymous.fields.clear();
    /// assert_eq!(anonymous.complainant(), None);
    /// // An empty ledger attribute names nobody: the field still counts.
    /// let mut blank = open.clone();
    /// blank.complainant = Some(String::new());
    /// assert_eq!(blank.complainant(), Some("C-3"));
    /// ```
    pub fn complainant(&self) -> Option<&str> {
        // An empty attribute names nobody, so the field still can.
        self.complainant
            .as_deref()
            .filter(|c| !c.is_empty())
            .or_else(|| self.fields.get("complainant").and_then(Value::as_str))
            .filter(|c| !c.is_empty())
    }
}
