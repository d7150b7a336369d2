//! What a host feeds the engine: the data that opens a ticket, and events.

use super::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The data that opens a ticket.
///
/// ```
/// use ombud_engine::runtime::OpenTicket;
/// let t: OpenTicket = serde_json::from_str(
///     r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00","fields":{"category":"fees"}}"#).unwrap();
/// assert_eq!(t.id, "T-1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenTicket {
    /// The host's ticket id.
    pub id: String,
    /// When the complaint was received.
    #[serde(deserialize_with = "crate::timefmt::de_instant")]
    pub at: DateTime<Utc>,
    /// Ticket data, checked against the policy's `fields`.
    #[serde(default)]
    pub fields: Map<String, Value>,
}

/// One event for a ticket. `event` is a name the policy declares (a transition, a pause or
/// resume event, an obligation's `done_on`) or one of the built-ins:
/// `attach` (with `artifact`), `set` (with `data`), `member_done` (with `member`),
/// `reassign` (with `to`, a tier, and/or `assignee`, the person who takes the ticket).
///
/// ```
/// use ombud_engine::runtime::Event;
/// let e: Event = serde_json::from_str(
///     r#"{"at":"2026-02-14T10:00:00+08:00","event":"attach","artifact":"investigation_report"}"#,
/// ).unwrap();
/// assert_eq!(e.artifact.as_deref(), Some("investigation_report"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When it happened (events carry their own time).
    #[serde(deserialize_with = "crate::timefmt::de_instant")]
    pub at: DateTime<Utc>,
    /// Event name (inline, no allocation, when 24 bytes or shorter).
    pub event: Text,
    /// For `attach`: the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// For `set`: fields to update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// For `member_done`: the joint-group member (a value of the group's `per` field, or `lead`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// For `reassign`: the tier that takes over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For `reassign`: the person who takes the ticket (the host's name for them); performance
    /// marks are recorded against them as well as the tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Who sent it (free text for the audit trail).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl Event {
    /// A plain named event at `at`.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::named("registered", "2026-02-13T09:50:00Z".parse().unwrap());
    /// assert_eq!(e.event, "registered");
    /// ```
    pub fn named(event: impl Into<Text>, at: DateTime<Utc>) -> Self {
        Event {
            at,
            event: event.into(),
            artifact: None,
            data: None,
            member: None,
            to: None,
            assignee: None,
            by: None,
        }
    }

    /// An `attach` event for `artifact`.
    pub fn attach(artifact: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { artifact: Some(artifact.into()), ..Event::named(ATTACH, at) }
    }

    /// A `set` event updating `data`.
    pub fn set(data: Map<String, Value>, at: DateTime<Utc>) -> Self {
        Event { data: Some(data), ..Event::named(SET, at) }
    }

    /// A `member_done` event for joint-group member `member`.
    pub fn member_done(member: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { member: Some(member.into()), ..Event::named(MEMBER_DONE, at) }
    }

    /// A `reassign` event handing the stage to tier `to`.
    pub fn reassign(to: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { to: Some(to.into()), ..Event::named(REASSIGN, at) }
    }

    /// A `reassign` event naming the person who handles the ticket for its current tier.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::assign("li.wei", "2026-02-14T10:00:00+08:00".parse().unwrap());
    /// assert_eq!((e.event.as_str(), e.assignee.as_deref(), e.to), ("reassign", Some("li.wei"), None));
    /// ```
    pub fn assign(assignee: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { assignee: Some(assignee.into()), ..Event::named(REASSIGN, at) }
    }

    /// The first key this event carries that belongs to another kind of event, with the built-in
    /// event it belongs to: `to` on a `registered`, say. The engine refuses such an event rather
    /// than drop the value (a host that sends `assignee` with a transition would otherwise lose
    /// the assignment without a word).
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let at = "2026-02-14T10:00:00+08:00".parse().unwrap();
    /// let mut e = Event::named("registered", at);
    /// assert_eq!(e.stray_key(), None);
    /// e.assignee = Some("li.wei".into());
    /// assert_eq!(e.stray_key(), Some(("assignee", "reassign")));
    /// assert_eq!(Event::assign("li.wei", at).stray_key(), None);
    /// ```
    pub fn stray_key(&self) -> Option<(&'static str, &'static str)> {
        let given = [
            ("artifact", ATTACH, self.artifact.is_some()),
            ("data", SET, self.data.is_some()),
            ("member", MEMBER_DONE, self.member.is_some()),
            ("to", REASSIGN, self.to.is_some()),
            ("assignee", REASSIGN, self.assignee.is_some()),
        ];
        given
            .into_iter()
            .find(|&(_, owner, present)| present && owner != self.event)
            .map(|(key, owner, _)| (key, owner))
    }
}

/// Built-in event: attach an artifact.
pub const ATTACH: &str = "attach";
/// Built-in event: update fields.
pub const SET: &str = "set";
/// Built-in event: a joint-group member reports done.
pub const MEMBER_DONE: &str = "member_done";
/// Built-in event: hand the current stage to another tier, or to a named person.
pub const REASSIGN: &str = "reassign";
/// The names the engine reserves for built-in events.
pub const BUILTIN_EVENTS: [&str; 4] = [ATTACH, SET, MEMBER_DONE, REASSIGN];
