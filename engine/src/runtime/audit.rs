//! The records of the audit chain a ticket keeps.

use super::{Digest, RecordedEvent};
use crate::policy::Duration;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One link of the tamper-evident audit chain: an applied event (or the opening) and the hash
/// over the previous record's hash, the event and the resulting state's digest.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let done = Event::named("done", "2026-03-02T10:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &done).unwrap();
/// let [opening, done] = &ticket.history()[..] else { panic!("two records") };
/// assert_eq!((opening.seq, done.seq), (0, 1));
/// assert_eq!(done.hash, record_hash(&opening.hash, &done.entry, &done.state));
/// assert_eq!(ticket.audit_head(), &done.hash);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 0 for the opening, then 1, 2, …
    pub seq: u64,
    /// What was applied.
    pub entry: AuditEntry,
    /// For an event that extended a clock: the clock and the entry of its `extensions` that
    /// applied. Records written before the engine kept it have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<ExtensionRecord>,
    /// SHA-256 of the ticket state after it (history and head excluded).
    pub state: Digest,
    /// SHA-256 over `prev hash | entry | state`.
    pub hash: Digest,
}

/// The extension an event made, as its audit record keeps it: the clock it extended (`stage` or
/// `obligation`, by name), the entry of that clock's `extensions` that applied (0 for the
/// first) and what the entry does (`by` or `to`). Several entries may share one event, chosen by
/// their `when` on the ticket as it was then: explanations and calendar updates read the entry
/// from here rather than guess it from the ticket as it is now.
///
/// ```
/// # use ombud_engine::runtime::*;
/// let json = r#"{"stage":"handle","entry":1,"by":"2 working days"}"#;
/// let record: ExtensionRecord = serde_json::from_str(json).unwrap();
/// assert_eq!((record.stage.as_deref(), record.entry), (Some("handle"), 1));
/// assert_eq!(record.by.map(|d| d.to_string()).as_deref(), Some("2 working days"));
/// assert_eq!(serde_json::to_string(&record).unwrap(), json);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRecord {
    /// The stage whose clock it extended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// The obligation whose clock it extended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub obligation: Option<String>,
    /// The entry's place in the clock's `extensions`, from 0.
    pub entry: u32,
    /// The entry's `by:`, when it adds to the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Duration>,
    /// The entry's `to:`, when it sets the whole limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Duration>,
}

/// What an audit record covers.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let done = Event::named("done", "2026-03-02T10:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &done).unwrap();
/// let events: Vec<&str> = ticket.history().iter().map(|r| match &r.entry {
///     AuditEntry::Open(_) => "(opened)",
///     AuditEntry::Event(e) => e.event.as_str(),
///     AuditEntry::Calendar(_) => "(calendar update)",
/// }).collect();
/// assert_eq!(events, ["(opened)", "done"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AuditEntry {
    /// The opening data.
    Open(Box<OpenRecord>),
    /// An applied event.
    Event(Box<RecordedEvent>),
    /// A calendar update that recomputed the ticket's clocks ([`Engine::recalendar`](super::Engine::recalendar)).
    Calendar(Box<CalendarRecord>),
}

/// A calendar update as the audit chain records it: when, the calendar, how far its data
/// reaches, and the clocks it confirmed or moved.
///
/// ```
/// use ombud_engine::runtime::{AuditEntry, CalendarRecord};
/// let json = r#"{"at":"2026-12-20T09:00:00Z","calendar":"cn-mainland-2027","covered_until":"2027-12-31","clocks":["handle"]}"#;
/// let entry: AuditEntry = serde_json::from_str(json).unwrap();
/// let AuditEntry::Calendar(record) = &entry else { panic!("a calendar update") };
/// assert_eq!((record.calendar.as_str(), record.clocks.len()), ("cn-mainland-2027", 1));
/// assert_eq!(serde_json::to_string(&entry).unwrap(), json);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarRecord {
    /// When the update was applied.
    pub at: DateTime<Utc>,
    /// The calendar's id.
    pub calendar: String,
    /// The last date its data covers (`None`: unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_until: Option<chrono::NaiveDate>,
    /// The clocks it confirmed or moved.
    pub clocks: Vec<String>,
}

/// The opening data as recorded in the audit chain.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: weekdays\nfields:\n  channel: { type: string, default: web }\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id":"R-1","at":"2026-03-02T09:00:00Z"}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let AuditEntry::Open(record) = &ticket.history()[0].entry else { panic!("the opening") };
/// // The record keeps the fields as given; the ticket holds them with defaults applied.
/// assert!(record.fields.is_empty());
/// assert_eq!((record.opened, &ticket.fields()["channel"]), (input.at, &serde_json::json!("web")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRecord {
    /// When.
    pub opened: DateTime<Utc>,
    /// The fields as given.
    pub fields: serde_json::Map<String, Value>,
}
