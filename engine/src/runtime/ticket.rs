//! The ticket state a host stores between calls. Serialisable, stable JSON (sorted maps).

use super::{AuditRecord, Digest, FieldMap, Fields, NameMap, Text};
use crate::compile::CompiledPolicy;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Version of the ticket JSON format. Bumped on any incompatible change.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// assert_eq!(ticket.format(), TICKET_FORMAT);
/// ```
pub const TICKET_FORMAT: u32 = 1;

/// The policy a ticket runs under: id, version and a digest of the policy's content, read
/// through [`PinnedPolicy`] (`ticket.policy().id`). One shared allocation: opening a ticket copies a
/// pointer, not the strings, and a ticket holds 8 bytes for it. Serialises as the three strings.
///
/// ```
/// use ombud_engine::runtime::PolicyPin;
/// let pin = PolicyPin::new("service-complaints", "2.1.0", "ab12");
/// assert_eq!(pin.version, "2.1.0");
/// assert_eq!(serde_json::to_string(&pin).unwrap(),
///            r#"{"id":"service-complaints","version":"2.1.0","digest":"ab12"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PolicyPin(Arc<PinnedPolicy>);

/// What a [`PolicyPin`] holds.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let pinned: &PinnedPolicy = &ticket.policy();
/// assert_eq!((pinned.id.as_str(), pinned.digest.len()), ("desk", 64));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedPolicy {
    /// `policy:` id.
    pub id: String,
    /// `version:`.
    pub version: String,
    /// SHA-256 hex of the policy source.
    pub digest: String,
}

impl PolicyPin {
    /// The pin of `policy`.
    ///
    /// ```
    /// # let text = ombud_engine::doc_support::DESK.replace("version: '1'", "version: '3'");
    /// let (policy, _) = ombud_engine::load_policy("desk.yaml", &text, None).unwrap();
    /// let pin = ombud_engine::runtime::PolicyPin::of(&policy);
    /// assert_eq!((pin.id.as_str(), pin.version.as_str()), ("desk", "3"));
    /// assert_eq!(pin.digest, policy.digest());
    /// ```
    pub fn of(policy: &CompiledPolicy) -> Self {
        PolicyPin::new(&policy.id, &policy.version, &policy.digest)
    }

    /// A pin from its three strings.
    ///
    /// ```
    /// use ombud_engine::runtime::PolicyPin;
    /// assert_eq!(PolicyPin::new("desk", "3", "ab12"), PolicyPin::new("desk", "3", "ab12"));
    /// assert_ne!(PolicyPin::new("desk", "3", "ab12"), PolicyPin::new("desk", "4", "ab12"));
    /// ```
    pub fn new(id: &str, version: &str, digest: &str) -> Self {
        PolicyPin(Arc::new(PinnedPolicy {
            id: id.to_string(),
            version: version.to_string(),
            digest: digest.to_string(),
        }))
    }

    /// Whether both pins share one allocation (then they are equal without comparing strings).
    pub(crate) fn same_allocation(&self, other: &PolicyPin) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for PolicyPin {
    type Target = PinnedPolicy;
    fn deref(&self) -> &PinnedPolicy {
        &self.0
    }
}

/// A complaint ticket: everything the engine needs to continue it later.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// // What a host stores: stable JSON, small while the ticket has little history.
/// let json = serde_json::to_string(&ticket).unwrap();
/// assert!(json.len() < 2048);
/// let stored: Ticket = serde_json::from_str(&json).unwrap();
/// assert_eq!(stored, ticket);
/// assert_eq!((stored.stage(), stored.tier()), ("open", Some("agent")));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    /// Format version ([`TICKET_FORMAT`]).
    pub(crate) format: u32,
    /// The host's id.
    pub(crate) id: Text,
    /// The policy the ticket is pinned to.
    pub(crate) policy: PolicyPin,
    /// When the complaint was received.
    pub(crate) opened_at: DateTime<Utc>,
    /// The latest instant the ticket has been brought to (by an event or `advance`).
    pub(crate) clock_at: DateTime<Utc>,
    /// When the last event was applied.
    pub(crate) last_event_at: DateTime<Utc>,
    /// Ticket data: given, defaulted and derived values. Shared copy-on-write: most events
    /// leave it unchanged, and copies of a ticket (a host's undo buffer, a simulation's branches)
    /// share one map.
    pub(crate) fields: Arc<Fields>,
    /// Current stage.
    pub(crate) stage: Text,
    /// How many times a stage has been entered (1 for the start stage).
    pub(crate) visit: u32,
    /// Responsible tier now (the owner, or whoever it was escalated or reassigned to).
    pub(crate) tier: Option<Text>,
    /// The tier the stage's owner rule chose on entry.
    pub(crate) owner: Option<Text>,
    /// The person handling the ticket for the responsible tier, as the host named them
    /// (`reassign` with an `assignee`); cleared when responsibility passes to another tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) assignee: Option<Text>,
    /// The running clock of the current stage, if it has a time limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) clock: Option<Clock>,
    /// Artifacts attached so far, with when.
    #[serde(default, skip_serializing_if = "NameMap::is_empty")]
    pub(crate) artifacts: NameMap<DateTime<Utc>>,
    /// The joint handling group of the current stage, if one formed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<GroupState>,
    /// Obligations that have started.
    #[serde(default, skip_serializing_if = "NameMap::is_empty")]
    pub(crate) obligations: NameMap<ObligationState>,
    /// Whether a ladder step flagged the ticket red during the current stage visit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) flagged: bool,
    /// Counters over the ticket's life.
    pub(crate) stats: TicketStats,
    /// Performance marks recorded by ladder steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) marks: Vec<Mark>,
    /// When the ticket reached a terminal stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) closed_at: Option<DateTime<Utc>>,
    /// Every applied event with its audit hash; the first record is the opening.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) history: Vec<AuditRecord>,
    /// Hash of the last audit record.
    pub(crate) audit_head: Digest,
}

impl Ticket {
    /// Version of the ticket's JSON format ([`TICKET_FORMAT`]).
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.format(), ombud_engine::runtime::TICKET_FORMAT);
    /// ```
    pub fn format(&self) -> u32 {
        self.format
    }

    /// The host's id.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.id(), "D-1");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The policy the ticket is pinned to.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!((ticket.policy().id.as_str(), ticket.policy().version.as_str()), ("desk", "1"));
    /// ```
    pub fn policy(&self) -> &PolicyPin {
        &self.policy
    }

    /// When the complaint was received.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.opened_at().to_rfc3339(), "2026-03-02T09:00:00+00:00");
    /// ```
    pub fn opened_at(&self) -> DateTime<Utc> {
        self.opened_at
    }

    /// The latest instant the ticket has been brought to (by an event or `advance`).
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// engine.advance(&mut ticket, "2026-03-02T10:00:00Z".parse().unwrap()).unwrap();
    /// assert_eq!(ticket.clock_at().to_rfc3339(), "2026-03-02T10:00:00+00:00");
    /// ```
    pub fn clock_at(&self) -> DateTime<Utc> {
        self.clock_at
    }

    /// When the last event was applied (the opening, before any).
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// engine.advance(&mut ticket, "2026-03-02T10:00:00Z".parse().unwrap()).unwrap();
    /// assert_eq!(ticket.last_event_at(), ticket.opened_at());
    /// ```
    pub fn last_event_at(&self) -> DateTime<Utc> {
        self.last_event_at
    }

    /// Ticket data: given, defaulted and derived values.
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::reference();
    /// # use ombud_engine::OpenTicket;
    /// let input: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{"text":"overcharged on my bill"}}"#).unwrap();
    /// let (ticket, _) = engine.open(&input).unwrap();
    /// assert_eq!(ticket.fields()["category"], "fees"); // derived from the text
    /// assert_eq!(ticket.fields()["claim_amount"], 0); // the default
    /// ```
    pub fn fields(&self) -> &FieldMap {
        &self.fields
    }

    /// The current stage.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.stage(), "open");
    /// ```
    pub fn stage(&self) -> &str {
        &self.stage
    }

    /// How many times a stage has been entered (1 for the start stage).
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.visit(), 1);
    /// ```
    pub fn visit(&self) -> u32 {
        self.visit
    }

    /// The responsible tier now (the owner, or whoever it was escalated or reassigned to).
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// assert_eq!(ticket.tier(), Some("agent"));
    /// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap();
    /// assert_eq!((ticket.tier(), ticket.owner()), (Some("lead"), Some("agent"))); // escalated
    /// ```
    pub fn tier(&self) -> Option<&str> {
        self.tier.as_deref()
    }

    /// The tier the stage's owner rule chose on entry.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.owner(), Some("agent"));
    /// ```
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// The person handling the ticket for the responsible tier, as the host named them
    /// (`reassign` with an `assignee`); cleared when responsibility passes to another tier.
    ///
    /// ```
    /// # use ombud_engine::runtime::Event;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// let assign = Event::assign("li.wei", "2026-03-02T09:05:00Z".parse().unwrap());
    /// engine.apply(&mut ticket, &assign).unwrap();
    /// assert_eq!(ticket.assignee(), Some("li.wei"));
    /// ```
    pub fn assignee(&self) -> Option<&str> {
        self.assignee.as_deref()
    }

    /// The running clock of the current stage, if it has a time limit.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// let clock = ticket.clock().unwrap();
    /// assert_eq!(clock.deadline.to_rfc3339(), "2026-03-02T13:00:00+00:00");
    /// ```
    pub fn clock(&self) -> Option<&Clock> {
        self.clock.as_ref()
    }

    /// The artifacts attached so far, with when.
    ///
    /// ```
    /// # use ombud_engine::runtime::Event;
    /// # let engine = ombud_engine::doc_support::reference();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// let at = "2026-03-02T10:00:00Z".parse().unwrap();
    /// engine.apply(&mut ticket, &Event::attach("investigation_report", at)).unwrap();
    /// assert_eq!(ticket.artifacts().get("investigation_report"), Some(&at));
    /// ```
    pub fn artifacts(&self) -> &NameMap<DateTime<Utc>> {
        &self.artifacts
    }

    /// The joint handling group of the current stage, if one formed.
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::joint();
    /// # use ombud_engine::OpenTicket;
    /// let input: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{"departments":["billing","network"]}}"#).unwrap();
    /// let (ticket, _) = engine.open(&input).unwrap();
    /// assert_eq!(ticket.group().unwrap().members.len(), 2);
    /// ```
    pub fn group(&self) -> Option<&GroupState> {
        self.group.as_ref()
    }

    /// The obligations that have started, by name.
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::joint();
    /// # use ombud_engine::OpenTicket;
    /// let input: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{"press":true}}"#).unwrap();
    /// let (ticket, _) = engine.open(&input).unwrap();
    /// assert!(ticket.obligations().contains_key("statement"));
    /// ```
    pub fn obligations(&self) -> &NameMap<ObligationState> {
        &self.obligations
    }

    /// Whether a ladder step flagged the ticket red during the current stage visit.
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// engine.advance(&mut ticket, "2026-03-02T11:00:00Z".parse().unwrap()).unwrap(); // 50 %
    /// assert!(ticket.flagged());
    /// ```
    pub fn flagged(&self) -> bool {
        self.flagged
    }

    /// Counters over the ticket's life.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.stats().stages_entered, 1);
    /// ```
    pub fn stats(&self) -> &TicketStats {
        &self.stats
    }

    /// The performance marks ladder steps recorded.
    ///
    /// ```
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap(); // 100 %
    /// assert_eq!(ticket.marks()[0].tier, "agent");
    /// ```
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// When the ticket reached a terminal stage.
    ///
    /// ```
    /// # use ombud_engine::runtime::Event;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// let at = "2026-03-02T10:00:00Z".parse().unwrap();
    /// engine.apply(&mut ticket, &Event::named("done", at)).unwrap();
    /// assert_eq!(ticket.closed_at(), Some(at));
    /// ```
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.closed_at
    }

    /// Whether the ticket reached a terminal stage.
    ///
    /// ```
    /// # use ombud_engine::runtime::Event;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let mut ticket = ombud_engine::doc_support::opened(&engine);
    /// assert!(!ticket.is_closed());
    /// let done = Event::named("done", "2026-03-02T10:00:00Z".parse().unwrap());
    /// engine.apply(&mut ticket, &done).unwrap();
    /// assert!(ticket.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Every applied event with its audit hash; the first record is the opening.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.history()[0].seq, 0);
    /// ```
    pub fn history(&self) -> &[AuditRecord] {
        &self.history
    }

    /// The hash of the last audit record.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.audit_head(), &ticket.history()[0].hash);
    /// ```
    pub fn audit_head(&self) -> &Digest {
        &self.audit_head
    }
}

/// Counters a report reads without replaying the timeline.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap();
/// let TicketStats { breaches, escalations, flags, stages_entered } = ticket.stats().clone();
/// assert_eq!((breaches, escalations, flags, stages_entered), (1, 1, 1, 1));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStats {
    /// Deadlines missed (stage visits and obligations).
    pub breaches: u32,
    /// Escalation steps fired.
    pub escalations: u32,
    /// Flag steps fired.
    pub flags: u32,
    /// Stage visits.
    pub stages_entered: u32,
}

/// A clock: of the current stage visit ([`Ticket::clock`]) or of an obligation
/// ([`ObligationState::clock`]). Both kinds count, pause, extend and run ladders alike.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: p\ncalendar: cn-mainland\ntiers: [agent]\nstart: handle\nstages:\n  handle: { owner: agent, due: 3 working days, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into());
/// // Received on the Friday evening before Spring Festival 2026: Sat 14 Feb is a make-up working
/// // day, 15–23 Feb the holiday, so the third working day is Wed 25 Feb.
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id":"S-1","at":"2026-02-13T17:30:00+08:00"}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let clock = ticket.clock().unwrap();
/// assert_eq!(clock.budget.to_string(), "3 working days");
/// // The end of Wed 25 Feb in Beijing.
/// assert_eq!(clock.deadline.to_rfc3339(), "2026-02-25T16:00:00+00:00");
/// // The budget on the working clock: the rest of Friday (6 h 30) and three working days.
/// assert_eq!((clock.total, clock.paused.is_none()), (6 * 3600 + 1800 + 3 * 86_400, true));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// The limit as written (`3 working days`); an extension leaves it as written.
    pub budget: crate::policy::Duration,
    /// When the clock started: the stage's entry, or the resume that restarted it.
    pub started: DateTime<Utc>,
    /// When it runs out (moved by pauses and extensions).
    pub deadline: DateTime<Utc>,
    /// Size of the budget in seconds, extensions included: working seconds for working-time
    /// budgets, else wall.
    pub total: i64,
    /// Whether the deadline rests on days beyond the calendar's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
    /// Set while paused: since when, and the budget left at that moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<Pause>,
    /// Ladder steps already fired (bit i = step i).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fired: u64,
    /// Whether the breach of this clock has been recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub breached: bool,
    /// The breach as it was recorded: the deadline that ran out and who held the ticket then.
    /// Tickets stored before the engine kept it have `breached` alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breach: Option<Box<BreachRecord>>,
    /// How many times each extension entry has extended this clock (entry i of the stage's or
    /// the obligation's `extensions`; empty until the first extension).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extended: Vec<u32>,
    /// How far roll-off carried the deadline past the end of the limit's last day, in seconds:
    /// a calendar-day limit whose last day is a rest day ends at the end of the next working
    /// day. Pauses hold, and calendar-day extensions count from, the end before roll-off; 0 for
    /// every other limit.
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub roll_off: i64,
}

impl Clock {
    /// How many times extension entry `i` has extended this clock.
    ///
    /// ```
    /// # let ticket = ombud_engine::doc_support::opened(&ombud_engine::doc_support::desk());
    /// assert_eq!(ticket.clock().unwrap().extensions_used(0), 0);
    /// ```
    pub fn extensions_used(&self, i: usize) -> u32 {
        self.extended.get(i).copied().unwrap_or(0)
    }
}

/// A clock's breach as the engine recorded it when it fired: the deadline in force then (a
/// later pause or restart moves the clock's deadline, not the breach), and the tier and assignee
/// that held the ticket at that instant, whatever had moved them (an escalation, an obligation's
/// ladder, a reassignment).
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let mut ticket = ombud_engine::doc_support::opened(&engine);
/// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap();
/// let breach = ticket.clock().and_then(|c| c.breach.as_deref()).unwrap();
/// // The 4 hours ran out at 13:00, with agent holding the ticket; the 100 % step then
/// // escalated it to lead.
/// assert_eq!(breach.deadline.to_rfc3339(), "2026-03-02T13:00:00+00:00");
/// assert_eq!((breach.tier.as_deref(), ticket.tier()), (Some("agent"), Some("lead")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachRecord {
    /// The deadline that ran out.
    pub deadline: DateTime<Utc>,
    /// The tier holding the ticket then (for an obligation, its owner tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The person handling it for that tier then, if one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero_i64(v: &i64) -> bool {
    *v == 0
}

/// A paused clock.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let mut ticket = ombud_engine::doc_support::opened(&engine);
/// let wait = Event::named("wait", "2026-03-02T11:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &wait).unwrap();
/// let pause = ticket.clock().and_then(|c| c.paused.as_ref()).unwrap();
/// assert_eq!((pause.remaining, pause.resume_on.as_str()), (2 * 3600, "back"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// When the clock stopped.
    pub since: DateTime<Utc>,
    /// Budget left then, in the clock's unit (working or wall seconds).
    pub remaining: i64,
    /// The pause rule's resume event.
    pub resume_on: String,
}

/// A joint handling group's state in the current stage.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::joint();
/// let input: OpenTicket = serde_json::from_str(r#"{"id":"G-1","at":"2026-03-02T09:00:00Z",
///     "fields":{"departments":["billing","network"]}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let billing = Event::member_done("billing", "2026-03-02T10:00:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &billing).unwrap();
/// let group = ticket.group().unwrap();
/// let pending: Vec<&str> =
///     group.members.iter().filter(|(_, d)| d.is_none()).map(|(m, _)| m.as_str()).collect();
/// assert_eq!((group.name.as_str(), pending), ("joint", vec!["network"]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupState {
    /// Group name.
    pub name: Text,
    /// Member → when it reported done (None: pending).
    pub members: NameMap<Option<DateTime<Utc>>>,
    /// When the lead reported done (for `complete: lead`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_done: Option<DateTime<Utc>>,
}

/// An obligation that has started.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::joint();
/// let input: OpenTicket = serde_json::from_str(
///     r#"{"id":"O-1","at":"2026-03-02T09:00:00Z","fields":{"press":true}}"#).unwrap();
/// let (ticket, _) = engine.open(&input).unwrap();
/// let statement = ticket.obligations().get("statement").unwrap();
/// assert_eq!(statement.clock.deadline.to_rfc3339(), "2026-03-03T09:00:00+00:00");
/// assert_eq!((statement.done, statement.clock.breached), (None, false));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationState {
    /// Its clock (written in JSON beside `done`).
    #[serde(flatten)]
    pub clock: Clock,
    /// When it was discharged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<DateTime<Utc>>,
}

/// A performance mark recorded against a tier, and the person who held the ticket for it, by a
/// ladder step.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let engine = ombud_engine::doc_support::desk();
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z","fields":{}}"#).unwrap();
/// let (mut ticket, _) = engine.open(&input).unwrap();
/// let assign = Event::assign("zhang.min", "2026-03-02T09:05:00Z".parse().unwrap());
/// engine.apply(&mut ticket, &assign).unwrap();
/// engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse().unwrap()).unwrap();
/// let mark = &ticket.marks()[0];
/// assert_eq!((mark.mark.as_str(), mark.tier.as_str(), mark.assignee.as_deref()),
///            ("performance", "agent", Some("zhang.min")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// When.
    pub at: DateTime<Utc>,
    /// The mark (e.g. `performance`).
    pub mark: Text,
    /// Stage it concerns.
    pub stage: Text,
    /// The tier it is recorded against (the responsible tier when the step fired).
    pub tier: Text,
    /// The person it is recorded against: the ticket's assignee when the step fired, if the
    /// host had named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Text>,
}
