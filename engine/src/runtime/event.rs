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

/// One event for a ticket: when it happened, what it is, and who sent it.
///
/// Its JSON is one object: `at`, `event` (a name the policy declares — a transition, a pause
/// or resume event, an obligation's `done_on` — or a built-in) and the key of the built-in:
/// `attach` with `artifact`, `set` with `data`, `member_done` with `member`, `reassign` with
/// `to` (a tier) and/or `assignee` (a person); `by` on any event. A key that belongs to another
/// event (`assignee` on a transition, say) is refused when the JSON is read, with the message of
/// the engine's `bad_event` refusal: such an event cannot be built.
///
/// ```
/// use ombud_engine::runtime::{Event, EventKind};
/// let e: Event = serde_json::from_str(
///     r#"{"at":"2026-02-14T10:00:00+08:00","event":"attach","artifact":"investigation_report"}"#,
/// )?;
/// assert_eq!(e.kind, EventKind::Attach { artifact: "investigation_report".into() });
/// assert_eq!(e.name(), "attach");
/// let stray = r#"{"at":"2026-02-14T10:00:00+08:00","event":"registered","assignee":"li.wei"}"#;
/// let err = serde_json::from_str::<Event>(stray).unwrap_err();
/// assert!(err.to_string().starts_with(
///     "`registered` takes no `assignee` (only `reassign` does); send the `assignee` as a \
///      separate `reassign` event"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// When it happened (events carry their own time).
    pub at: DateTime<Utc>,
    /// What it is.
    pub kind: EventKind,
    /// Who sent it (free text for the audit trail).
    pub by: Option<String>,
}

/// What an [`Event`] is: a name the policy declares, or a built-in with what it carries.
///
/// ```
/// use ombud_engine::runtime::{Event, EventKind};
/// let at = "2026-02-14T10:00:00+08:00".parse().unwrap();
/// let e = Event::reassign("supervisor", at);
/// assert_eq!(e.kind, EventKind::Reassign { to: Some("supervisor".into()), assignee: None });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A name the policy declares (a transition, a pause or resume event, an obligation's
    /// `done_on`). A built-in's name without what the built-in needs (`attach` without an
    /// `artifact`) reads as this, and the engine refuses it with `bad_event`.
    Named(Text),
    /// `attach`: attach an artifact some stage requires.
    Attach {
        /// The artifact.
        artifact: String,
    },
    /// `set`: update fields; computed fields are derived again, obligations and automatic
    /// transitions re-evaluated. `null` hands a field back to its default or its rules.
    Set {
        /// The fields to update.
        data: Map<String, Value>,
    },
    /// `member_done`: a joint-group member (a value of the group's `per` field, or `lead`)
    /// reports done.
    MemberDone {
        /// The member.
        member: String,
    },
    /// `reassign`: hand the stage to another tier, name the person who handles it for its tier,
    /// or both.
    Reassign {
        /// The tier that takes over.
        to: Option<String>,
        /// The person who takes the ticket (the host's name for them); performance marks are
        /// recorded against them as well as the tier.
        assignee: Option<String>,
    },
}

impl Event {
    /// A plain named event at `at`.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::named("registered", "2026-02-13T09:50:00Z".parse().unwrap());
    /// assert_eq!(e.name(), "registered");
    /// ```
    pub fn named(event: impl Into<Text>, at: DateTime<Utc>) -> Self {
        Event { at, kind: EventKind::Named(event.into()), by: None }
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
        Event { at, kind: EventKind::Attach { artifact: artifact.into() }, by: None }
    }

    /// A `set` event updating `data`: the fields are checked, computed fields re-derived,
    /// obligations and automatic transitions re-evaluated. `null` hands a field back to its
    /// default or its rules.
    ///
    /// ```
    /// use ombud_engine::runtime::{Event, EventKind};
    /// let data = serde_json::json!({"claim_amount": 12000, "channel": null});
    /// let at = "2026-02-14T10:00:00+08:00".parse().unwrap();
    /// let e = Event::set(serde_json::from_value(data).unwrap(), at);
    /// assert!(matches!(&e.kind, EventKind::Set { data } if data.len() == 2));
    /// ```
    pub fn set(data: Map<String, Value>, at: DateTime<Utc>) -> Self {
        Event { at, kind: EventKind::Set { data }, by: None }
    }

    /// A `member_done` event for joint-group member `member` (a value of the group's `per`
    /// field, or `lead`).
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::member_done("billing", "2026-05-11T15:00:00+08:00".parse().unwrap());
    /// assert_eq!(e.name(), "member_done");
    /// ```
    pub fn member_done(member: impl Into<String>, at: DateTime<Utc>) -> Self {
        Event { at, kind: EventKind::MemberDone { member: member.into() }, by: None }
    }

    /// A `reassign` event handing the stage to tier `to`. The ticket's assignee is cleared
    /// when the tier changes.
    ///
    /// ```
    /// use ombud_engine::runtime::{Event, EventKind};
    /// let e = Event::reassign("supervisor", "2026-02-14T10:00:00+08:00".parse().unwrap());
    /// assert_eq!(e.kind, EventKind::Reassign { to: Some("supervisor".into()), assignee: None });
    /// ```
    pub fn reassign(to: impl Into<String>, at: DateTime<Utc>) -> Self {
        let kind = EventKind::Reassign { to: Some(to.into()), assignee: None };
        Event { at, kind, by: None }
    }

    /// A `reassign` event naming the person who handles the ticket for its current tier.
    ///
    /// ```
    /// use ombud_engine::runtime::{Event, EventKind};
    /// let e = Event::assign("li.wei", "2026-02-14T10:00:00+08:00".parse().unwrap());
    /// assert_eq!(e.kind, EventKind::Reassign { to: None, assignee: Some("li.wei".into()) });
    /// ```
    pub fn assign(assignee: impl Into<String>, at: DateTime<Utc>) -> Self {
        let kind = EventKind::Reassign { to: None, assignee: Some(assignee.into()) };
        Event { at, kind, by: None }
    }

    /// The event's name: the policy's name, or the built-in's (`attach`, `set`, …).
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let at = "2026-02-14T10:00:00+08:00".parse().unwrap();
    /// assert_eq!((Event::named("resolved", at).name(), Event::assign("li.wei", at).name()),
    ///            ("resolved", "reassign"));
    /// ```
    pub fn name(&self) -> &str {
        match &self.kind {
            EventKind::Named(name) => name,
            EventKind::Attach { .. } => ATTACH,
            EventKind::Set { .. } => SET,
            EventKind::MemberDone { .. } => MEMBER_DONE,
            EventKind::Reassign { .. } => REASSIGN,
        }
    }

    /// The event as the audit chain records it: its JSON form.
    ///
    /// ```
    /// use ombud_engine::runtime::Event;
    /// let e = Event::attach("result_notice", "2026-03-02T10:00:00Z".parse().unwrap());
    /// let recorded = e.record();
    /// assert_eq!((recorded.event.as_str(), recorded.artifact.as_deref()),
    ///            ("attach", Some("result_notice")));
    /// ```
    pub fn record(&self) -> RecordedEvent {
        let mut rec = RecordedEvent {
            at: self.at,
            event: Text::from(self.name()),
            artifact: None,
            data: None,
            member: None,
            to: None,
            assignee: None,
            by: self.by.clone(),
        };
        match &self.kind {
            EventKind::Named(_) => {}
            EventKind::Attach { artifact } => rec.artifact = Some(artifact.clone()),
            EventKind::Set { data } => rec.data = Some(data.clone()),
            EventKind::MemberDone { member } => rec.member = Some(member.clone()),
            EventKind::Reassign { to, assignee } => {
                rec.to = to.clone();
                rec.assignee = assignee.clone();
            }
        }
        rec
    }
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Event::try_from(RecordedEvent::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// An event as JSON carries it and the audit chain records it: every key optional. Reading it
/// as an [`Event`] refuses a key that belongs to another event (`bad_event`). A record from a
/// build that accepted such keys keeps them, and verifies as it was sealed; the engine applied
/// the event without them ([`RecordedEvent::as_applied`]).
///
/// ```
/// use ombud_engine::runtime::{Event, RecordedEvent};
/// let rec: RecordedEvent = serde_json::from_str(
///     r#"{"at":"2026-03-02T10:00:00Z","event":"take","assignee":"li.wei"}"#)?;
/// let refused = Event::try_from(rec.clone()).unwrap_err();
/// assert_eq!(refused.code(), "bad_event");
/// assert_eq!(rec.as_applied(), Event::named("take", rec.at));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedEvent {
    /// When it happened.
    #[serde(deserialize_with = "crate::timefmt::de_instant")]
    pub at: DateTime<Utc>,
    /// Event name.
    pub event: Text,
    /// For `attach`: the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// For `set`: fields to update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// For `member_done`: the joint-group member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// For `reassign`: the tier that takes over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For `reassign`: the person who takes the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Who sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl RecordedEvent {
    /// The first key this record carries that belongs to another kind of event, with the
    /// built-in event it belongs to. An empty value names nothing, so it is as good as absent.
    fn stray_key(&self) -> Option<(&'static str, &'static str)> {
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

    /// The event the engine applied for this record: without the keys that belong to another
    /// event, which builds that accepted such keys dropped.
    ///
    /// ```
    /// use ombud_engine::runtime::{Event, RecordedEvent};
    /// let at = "2026-03-02T10:00:00Z".parse().unwrap();
    /// let mut rec = Event::named("registered", at).record();
    /// rec.to = Some("closed".into());
    /// assert_eq!(rec.as_applied(), Event::named("registered", at));
    /// ```
    pub fn as_applied(&self) -> Event {
        let mut rec = self.clone();
        while let Some((key, _)) = rec.stray_key() {
            match key {
                "artifact" => rec.artifact = None,
                "data" => rec.data = None,
                "member" => rec.member = None,
                "to" => rec.to = None,
                _ => rec.assignee = None,
            }
        }
        rec.into_event()
    }

    /// The event, reading only the keys of its own kind.
    fn into_event(self) -> Event {
        let RecordedEvent { at, event, artifact, data, member, to, assignee, by } = self;
        let kind = match (event.as_str(), artifact, data, member) {
            (ATTACH, Some(artifact), _, _) => EventKind::Attach { artifact },
            (SET, _, Some(data), _) => EventKind::Set { data },
            (MEMBER_DONE, _, _, Some(member)) => EventKind::MemberDone { member },
            (REASSIGN, ..) if to.is_some() || assignee.is_some() => {
                EventKind::Reassign { to, assignee }
            }
            _ => EventKind::Named(event),
        };
        Event { at, kind, by }
    }
}

/// Reading an event: a key that belongs to another event is refused (`bad_event`) rather than
/// dropped, since dropping it would lose, say, an assignment sent along with a transition.
impl TryFrom<RecordedEvent> for Event {
    type Error = super::Rejection;

    fn try_from(rec: RecordedEvent) -> Result<Event, Self::Error> {
        if let Some((key, owner)) = rec.stray_key() {
            // `to` is the key a host is likeliest to echo from `next_actions`, where it names
            // the stage a transition leads to.
            let aside = if key == "to" {
                "; a transition's next stage comes from the policy, and `to` names a tier"
            } else {
                ""
            };
            let name = &rec.event;
            return Err(super::Rejection::bad(format!(
                "`{name}` takes no `{key}` (only `{owner}` does); send the `{key}` as a \
                 separate `{owner}` event{aside}"
            )));
        }
        Ok(rec.into_event())
    }
}

/// Built-in event: attach an artifact.
///
/// ```
/// use ombud_engine::runtime::{ATTACH, Event};
/// let at = "2026-03-02T10:00:00Z".parse().unwrap();
/// assert_eq!(Event::attach("result_notice", at).name(), ATTACH);
/// ```
pub const ATTACH: &str = "attach";
/// Built-in event: update fields.
///
/// ```
/// use ombud_engine::runtime::{Event, SET};
/// assert_eq!(Event::set(Default::default(), "2026-03-02T10:00:00Z".parse().unwrap()).name(), SET);
/// ```
pub const SET: &str = "set";
/// Built-in event: a joint-group member reports done.
///
/// ```
/// use ombud_engine::runtime::{Event, MEMBER_DONE};
/// let at = "2026-03-02T10:00:00Z".parse().unwrap();
/// assert_eq!(Event::member_done("lead", at).name(), MEMBER_DONE);
/// ```
pub const MEMBER_DONE: &str = "member_done";
/// Built-in event: hand the current stage to another tier, or to a named person.
///
/// ```
/// use ombud_engine::runtime::{Event, REASSIGN};
/// assert_eq!(Event::assign("li.wei", "2026-03-02T10:00:00Z".parse().unwrap()).name(), REASSIGN);
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
