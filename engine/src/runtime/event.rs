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
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::attach("investigation_report", "2026-02-14T10:00:00+08:00".parse().unwrap());
    /// assert_eq!(serde_json::to_string(&e).unwrap(),
    ///     r#"{"at":"2026-02-14T02:00:00Z","event":"attach","artifact":"investigation_report"}"#);
    /// ```
    pub fn attach(artifact: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { artifact: Some(artifact.into()), ..Event::named(ATTACH, at) }
    }

    /// A `set` event updating `data`: the fields are checked, computed fields re-derived,
    /// obligations and automatic transitions re-evaluated. `null` hands a field back to its
    /// default or its rules.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let data = serde_json::json!({"claim_amount": 12000, "channel": null});
    /// let at = "2026-02-14T10:00:00+08:00".parse().unwrap();
    /// let e = Event::set(serde_json::from_value(data).unwrap(), at);
    /// assert_eq!((e.event.as_str(), e.data.as_ref().map(|d| d.len())), ("set", Some(2)));
    /// ```
    pub fn set(data: Map<String, Value>, at: DateTime<Utc>) -> Self {
        Event { data: Some(data), ..Event::named(SET, at) }
    }

    /// A `member_done` event for joint-group member `member` (a value of the group's `per`
    /// field, or `lead`).
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::member_done("billing", "2026-05-11T15:00:00+08:00".parse().unwrap());
    /// assert_eq!((e.event.as_str(), e.member.as_deref()), ("member_done", Some("billing")));
    /// ```
    pub fn member_done(member: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { member: Some(member.into()), ..Event::named(MEMBER_DONE, at) }
    }

    /// A `reassign` event handing the stage to tier `to`. The ticket's assignee is cleared
    /// when the tier changes.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::reassign("supervisor", "2026-02-14T10:00:00+08:00".parse().unwrap());
    /// assert_eq!((e.event.as_str(), e.to.as_deref()), ("reassign", Some("supervisor")));
    /// assert_eq!(e.assignee, None);
    /// ```
    pub fn reassign(to: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { to: Some(to.into()), ..Event::named(REASSIGN, at) }
    }

    /// A `reassign` event naming the person who handles the ticket for its current tier.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::assign("li.wei", "2026-02-14T10:00:00+08:00".parse().unwrap());
    /// assert_eq!((e.event.as_str(), e.assignee.as_deref()), ("reassign", Some("li.wei")));
    /// assert_eq!(e.to, None);
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
    /// e.data = Some(Default::default()); // empty: names nothing
    /// assert_eq!(e.stray_key(), None);
    /// e.assignee = Some("li.wei".into());
    /// assert_eq!(e.stray_key(), Some(("assignee", "reassign")));
    /// assert_eq!(Event::assign("li.wei", at).stray_key(), None);
    /// ```
    pub fn stray_key(&self) -> Option<(&'static str, &'static str)> {
        // Most events carry none of these keys: answered without building the table below.
        if self.artifact.is_none()
            && self.data.is_none()
            && self.member.is_none()
            && self.to.is_none()
            && self.assignee.is_none()
        {
            return None;
        }
        // An empty value names nothing, so it is as good as absent.
        let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
        let keys = [
            ("artifact", ATTACH, given(&self.artifact)),
            ("data", SET, self.data.as_ref().is_some_and(|d| !d.is_empty())),
            ("member", MEMBER_DONE, given(&self.member)),
            ("to", REASSIGN, given(&self.to)),
            ("assignee", REASSIGN, given(&self.assignee)),
        ];
        keys.into_iter()
            .find(|&(_, owner, present)| present && owner != self.event)
            .map(|(key, owner, _)| (key, owner))
    }

    /// This event without the keys [`Event::stray_key`] finds: what builds before stray keys
    /// were refused applied, when they dropped such values.
    pub(crate) fn without_stray_keys(&self) -> Event {
        let mut e = self.clone();
        while let Some((key, _)) = e.stray_key() {
            match key {
                "artifact" => e.artifact = None,
                "data" => e.data = None,
                "member" => e.member = None,
                "to" => e.to = None,
                _ => e.assignee = None,
            }
        }
        e
    }
}

/// Built-in event: attach an artifact.
///
/// ```
/// use ombud_engine::runtime::{ATTACH, Event};
/// let at = "2026-03-02T10:00:00Z".parse().unwrap();
/// assert_eq!(Event::attach("result_notice", at).event, ATTACH);
/// ```
pub const ATTACH: &str = "attach";
/// Built-in event: update fields.
///
/// ```
/// use ombud_engine::runtime::{Event, SET};
/// assert_eq!(Event::set(Default::default(), "2026-03-02T10:00:00Z".parse().unwrap()).event, SET);
/// ```
pub const SET: &str = "set";
/// Built-in event: a joint-group member reports done.
///
/// ```
/// use ombud_engine::runtime::{Event, MEMBER_DONE};
/// let at = "2026-03-02T10:00:00Z".parse().unwrap();
/// assert_eq!(Event::member_done("lead", at).event, MEMBER_DONE);
/// ```
pub const MEMBER_DONE: &str = "member_done";
/// Built-in event: hand the current stage to another tier, or to a named person.
///
/// ```
/// use ombud_engine::runtime::{Event, REASSIGN};
/// assert_eq!(Event::assign("li.wei", "2026-03-02T10:00:00Z".parse().unwrap()).event, REASSIGN);
/// ```
pub const REASSIGN: &str = "reassign";
/// The names the engine reserves for built-in events. A policy event with one of these names is
/// a lint error (`E0206`): the engine would handle the built-in instead.
///
/// ```
/// use ombud_engine::runtime::BUILTIN_EVENTS;
/// assert!(BUILTIN_EVENTS.contains(&"member_done"));
/// assert!(!BUILTIN_EVENTS.contains(&"registered"));
/// ```
pub const BUILTIN_EVENTS: [&str; 4] = [ATTACH, SET, MEMBER_DONE, REASSIGN];
