//! The engine: open tickets, apply events, advance clocks. Pure: time comes in, nothing is read
//! from the clock, the disk or the network.

use super::actions::{
    AcceptedEvent, Action, ActionKind, ClockView, ConditionError, NextActions, Outcome,
};
use super::digest::{Digest, record_hash, state_digest};
use super::error::Rejection;
use super::event::{ATTACH, Event, MEMBER_DONE, OpenTicket, REASSIGN, SET};
use super::ticket::{
    AuditEntry, AuditRecord, FieldMap, GroupState, Mark, NameMap, ObligationState, OpenRecord,
    Pause, PolicyPin, StageClock, TICKET_FORMAT, Ticket, TicketStats,
};
use super::timeline::{RowKind, Text, TimelineRow};
use crate::compile::{
    CompiledPolicy, Completion, FieldType, LadderAction, ResumeMode, StageDef, StageId, StepAt,
    TierTarget,
};
use crate::expr::{Expr, ExprError, limits};
use crate::policy::Duration;
use crate::timefmt;
use aho_corasick::{AhoCorasick, MatchKind};
use chrono::{DateTime, Utc};
use compact_str::format_compact;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::Arc;

/// Most automatic transitions taken in a row before the engine stops following them.
const MAX_AUTO_CHAIN: usize = 32;

/// A row's detail text, built only when the engine keeps row text
/// (see [`Engine::without_row_text`]).
macro_rules! detail {
    ($run:expr, $($arg:tt)*) => {
        if $run.engine.text { format_compact!($($arg)*) } else { Text::const_new("") }
    };
}

/// Runs tickets under one compiled policy. Build once; `Send + Sync`; share across threads.
///
/// A fee complaint received on the Friday evening before Spring Festival 2026: verification runs
/// 24 hours on the wall clock, handling 3 working days, and the holiday week does not count.
///
/// ```
/// use ombud_engine::runtime::{Engine, Event, OpenTicket};
/// use std::sync::Arc;
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
/// let (policy, _warnings) = ombud_engine::load_policy_file(path.as_ref()).unwrap();
/// let engine = Engine::new(Arc::new(policy));
///
/// let input: OpenTicket = serde_json::from_str(r#"{"id": "T-1",
///     "at": "2026-02-13T17:30:00+08:00", "fields": {"text": "overcharged on my bill"}}"#)?;
/// let (mut ticket, _) = engine.open(&input)?;
/// assert_eq!(ticket.stage, "intake");
/// assert_eq!(ticket.fields["category"], "fees"); // derived from the text
///
/// let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>();
/// engine.apply(&mut ticket, &Event::named("registered", at("2026-02-13T17:50:00+08:00")?))?;
/// let report = Event::attach("investigation_report", at("2026-02-14T10:00:00+08:00")?);
/// engine.apply(&mut ticket, &report)?;
/// let filed = Event::named("report_filed", at("2026-02-14T10:05:00+08:00")?);
/// let outcome = engine.apply(&mut ticket, &filed)?;
/// // Sat 14 Feb is a make-up working day; 15–23 Feb are the holiday; so the third working day
/// // is Thu 26 Feb, and the deadline is its end.
/// assert_eq!(ticket.clock.as_ref().unwrap().deadline, at("2026-02-27T00:00:00+08:00")?);
/// assert_eq!(outcome.rows.last().unwrap().detail, "3 working days → due Thu 26 Feb 2026 24:00");
/// // The host stores the ticket and sets one timer for the next wake-up.
/// assert!(outcome.next_wakeup.is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Arc<CompiledPolicy>,
    pin: PolicyPin,
    artifacts: BTreeSet<String>,
    /// Keyword search of every derived field, built once.
    keywords: Vec<Keywords>,
    /// Whether audit records are sealed with hashes (see [`Engine::without_audit_hashes`]).
    seal: bool,
    /// Whether timeline rows carry their detail text (see [`Engine::without_row_text`]).
    text: bool,
    /// Whether every applied event is kept in `history` (see [`Engine::without_history`]).
    history: bool,
}

/// How [`Engine::migrate`] moves a ticket to this engine's policy.
///
/// ```
/// use ombud_engine::runtime::{Engine, Migration, OpenTicket, Ticket};
/// let v1 = "\
/// policy: desk
/// version: '1'
/// calendar: weekdays
/// tiers: [agent]
/// start: open
/// stages:
///   open: { owner: agent, due: 4h, on: { done: closed } }
///   closed: { terminal: true }
/// ";
/// let v2 = v1.replace("'1'", "'2'").replace("4h", "2h");
/// let load = |text: &str| {
///     Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into())
/// };
/// let (old, new) = (load(v1), load(&v2));
/// let input: OpenTicket =
///     serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
/// let (ticket, _) = old.open(&input)?;
/// // Running it under version 2 is refused until the host migrates it.
/// assert_eq!(new.next_actions(&ticket, input.at).unwrap_err().code(), "policy_mismatch");
/// let (kept, _) = new.migrate(&ticket, Migration::KeepDeadlines)?;
/// let (recomputed, _) = new.migrate(&ticket, Migration::Recompute)?;
/// let deadline = |t: &Ticket| t.clock.as_ref().unwrap().deadline.to_rfc3339();
/// assert_eq!(deadline(&kept), "2026-03-02T13:00:00+00:00");
/// assert_eq!(deadline(&recomputed), "2026-03-02T11:00:00+00:00");
/// assert_eq!(recomputed.policy.version, "2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Migration {
    /// Keep the current stage, clocks and deadlines; only re-pin (fields re-checked).
    KeepDeadlines,
    /// Re-run the ticket's recorded history under the new policy and recompute everything.
    Recompute,
}

/// A due item on a ticket's clocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// The stage deadline passed.
    Breach,
    /// Ladder step i.
    Step(usize),
    /// Obligation i (index in the policy's obligations) passed its deadline.
    Obligation(usize),
}

impl Engine {
    /// An engine for `policy`.
    ///
    /// ```
    /// use ombud_engine::runtime::Engine;
    /// let text = "\
    /// policy: desk
    /// calendar: weekdays
    /// tiers: [agent]
    /// start: open
    /// stages:
    ///   open: { owner: agent, due: 4h, on: { done: closed } }
    ///   closed: { terminal: true }
    /// ";
    /// let (policy, _warnings) = ombud_engine::load_policy("desk.yaml", text, None).unwrap();
    /// let engine = Engine::new(std::sync::Arc::new(policy));
    /// assert_eq!(engine.pin().id, "desk");
    /// ```
    pub fn new(policy: Arc<CompiledPolicy>) -> Self {
        let pin = PolicyPin::of(&policy);
        let artifacts = policy.stages.iter().flat_map(|s| s.requires.iter().cloned()).collect();
        let keywords = policy.derived.iter().map(Keywords::new).collect();
        Engine { policy, pin, artifacts, keywords, seal: true, text: true, history: true }
    }

    /// The same engine, but audit records are not sealed: every applied event is still recorded
    /// in `history`, with empty `state` and `hash`, and `audit_head` stays empty. Everything else
    /// (stages, clocks, timelines, outcomes) is identical. For replays and simulations that only
    /// need figures: it saves the state digest (serialising the ticket and hashing it) on every
    /// event. Tickets it produces have no audit chain and fail verification: never store them.
    ///
    /// ```
    /// # use ombud_engine::runtime::{Engine, OpenTicket};
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let engine = Engine::new(std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0));
    /// let fast = engine.clone().without_audit_hashes();
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let ((sealed, _), (unsealed, _)) = (engine.open(&input)?, fast.open(&input)?);
    /// assert_eq!((sealed.history.len(), unsealed.history.len()), (1, 1));
    /// assert!(!sealed.audit_head.is_empty() && unsealed.audit_head.is_empty());
    /// assert_eq!(sealed.stage, unsealed.stage);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_audit_hashes(mut self) -> Self {
        self.seal = false;
        self
    }

    /// The same engine, but timeline rows leave `detail` empty; every other part of a row (time,
    /// kind, stage, tier, due, provisional) and everything else is identical. For batch runs that
    /// count rows and never show them (a single-policy `ombud replay`): it saves formatting a
    /// sentence, often with a date in it, for every row.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let engine = Engine::new(std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0));
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let (_, with_text) = engine.open(&input)?;
    /// let (_, bare) = engine.clone().without_row_text().open(&input)?;
    /// assert_eq!(with_text.rows[2].detail, "1h → due Fri 13 Feb 2026 18:30");
    /// assert_eq!((bare.rows[2].detail.as_str(), bare.rows[2].due), ("", with_text.rows[2].due));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_row_text(mut self) -> Self {
        self.text = false;
        self
    }

    /// The same engine, but without audit hashes (as [`Engine::without_audit_hashes`]) and
    /// keeping in `history` only what later events read: the `set` events, and of the opening
    /// only the given values of fields that are also computed (which tell whether a rule or the
    /// given value decides them). Stages, clocks, timelines and outcomes
    /// are identical. For batch replays that never store, verify or migrate the tickets they
    /// run: [`Migration::Recompute`] needs the full history, and these tickets do not have it.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let engine = Engine::new(std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0));
    /// let lean = engine.without_history();
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let (mut ticket, _) = lean.open(&input)?;
    /// lean.apply(&mut ticket, &Event::named("registered", "2026-02-13T09:50:00Z".parse()?))?;
    /// assert_eq!((ticket.stage.as_str(), ticket.history.len()), ("verify", 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_history(mut self) -> Self {
        self.seal = false;
        self.history = false;
        self
    }

    /// The policy this engine runs.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let engine = Engine::new(std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0));
    /// let policy = engine.policy();
    /// assert_eq!((policy.id.as_str(), policy.tiers.len()), ("service-complaints", 4));
    /// ```
    pub fn policy(&self) -> &Arc<CompiledPolicy> {
        &self.policy
    }

    /// The pin tickets opened by this engine carry.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let engine = Engine::new(std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0));
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// assert_eq!(&ticket.policy, engine.pin());
    /// assert_eq!(engine.pin().version, "2026.1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pin(&self) -> &PolicyPin {
        &self.pin
    }

    /// Opens a ticket: checks the fields, applies defaults, derives computed fields, enters the
    /// start stage (taking automatic transitions) and starts obligations whose condition holds.
    ///
    /// Fields are checked against the policy: an unknown field, a wrong type or a value outside
    /// an enum is refused, naming the field.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 50%, do: flag }\n    - { at: 100%, do: escalate, to: next }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
    /// // `desk`: one stage, `open`, owned by `agent`, due in 4 h; flag at 50 %, escalate at 100 %.
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, outcome) = engine.open(&input)?;
    /// assert_eq!((ticket.stage.as_str(), ticket.tier.as_deref()), ("open", Some("agent")));
    /// assert_eq!(outcome.next_wakeup, Some("2026-03-02T11:00:00Z".parse()?)); // the 50 % flag
    ///
    /// let typo: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"D-2","at":"2026-03-02T09:00:00Z","fields":{"chanel":"app"}}"#)?;
    /// assert_eq!(engine.open(&typo).unwrap_err().to_string(), "unknown field `chanel`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(&self, input: &OpenTicket) -> Result<(Ticket, Outcome), Rejection> {
        let (ticket, run, wakeup) = self.start(input)?;
        Ok(self.record_opening(ticket, run, wakeup, input.at, self.opening_fields(&input.fields)))
    }

    /// As [`Engine::open`], taking the input by value: its fields become the ticket's record of
    /// the opening instead of a copy of them. The same ticket and outcome, for a host that has no
    /// further use for the input.
    ///
    /// ```
    /// # use ombud_engine::runtime::{Engine, OpenTicket};
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let (policy, _) = ombud_engine::load_policy_file(std::path::Path::new(path))
    /// #     .map_err(|_| "the reference policy loads")?;
    /// let engine = Engine::new(std::sync::Arc::new(policy));
    /// let input: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00",
    ///         "fields":{"channel":"app","text":"billed twice"}}"#)?;
    /// let (borrowed, _) = engine.open(&input)?;
    /// let (owned, _) = engine.open_owned(input)?;
    /// assert_eq!(borrowed, owned);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_owned(&self, input: OpenTicket) -> Result<(Ticket, Outcome), Rejection> {
        let (ticket, run, wakeup) = self.start(&input)?;
        let fields = if self.history { input.fields } else { self.opening_fields(&input.fields) };
        Ok(self.record_opening(ticket, run, wakeup, input.at, fields))
    }

    /// The fields the record of the opening keeps: all of them, or without history only what a
    /// later `set` reads (which computed fields were given).
    fn opening_fields(&self, given: &Map<String, Value>) -> Map<String, Value> {
        if self.history {
            given.clone()
        } else {
            given
                .iter()
                .filter(|(k, _)| self.derived_and_declared(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }
    }

    /// Opens the ticket up to its record: fields, start stage, obligations.
    /// The opened ticket, the run holding its rows, and its wake-up.
    fn start(
        &self,
        input: &OpenTicket,
    ) -> Result<(Ticket, Run<'_>, Option<DateTime<Utc>>), Rejection> {
        // The given values (null is not given), checked in name order (a JSON map is sorted),
        // so the first error is the same whatever the policy's declaration order. A declared
        // field not given takes its default; a computed one holds null until `derive` sets it
        // (a condition reads null as it reads a missing name).
        let given = |name: &str| input.fields.get(name).is_some_and(|v| !v.is_null());
        let p = &self.policy;
        let mut entries = Vec::with_capacity(p.fields.len() + p.derived.len());
        for (name, value) in input.fields.iter().filter(|(_, v)| !v.is_null()) {
            entries.push((Text::from(name.as_str()), self.check_field(name, value)?));
        }
        for f in p.fields.iter().filter(|f| !given(&f.name)) {
            let value = f.default.clone().unwrap_or_else(|| neutral(&f.ty));
            entries.push((Text::from(f.name.as_str()), value));
        }
        for d in p.derived.iter().filter(|d| !given(&d.name) && p.field(&d.name).is_none()) {
            entries.push((Text::from(d.name.as_str()), Value::Null));
        }
        let mut fields = FieldMap::from_vec(entries);
        let derive_errors = self.derive(&mut fields, &given);
        let mut ticket = Ticket {
            format: TICKET_FORMAT,
            id: Text::from(input.id.as_str()),
            policy: self.pin.clone(),
            opened_at: input.at,
            clock_at: input.at,
            last_event_at: input.at,
            fields: Arc::new(fields.into()),
            stage: Text::default(),
            visit: 0,
            tier: None,
            owner: None,
            assignee: None,
            clock: None,
            artifacts: NameMap::new(),
            group: None,
            obligations: NameMap::new(),
            flagged: false,
            stats: TicketStats::default(),
            marks: Vec::new(),
            closed_at: None,
            history: Vec::new(),
            audit_head: Digest::default(),
        };
        let mut run = Run::new(self);
        *run.condition_errors.get_mut() = derive_errors;
        let detail = detail!(run, "ticket `{}`", input.id);
        run.row(input.at, RowKind::Opened, None, None, detail);
        run.enter(&mut ticket, self.policy.start, input.at, 0);
        run.start_obligations(&mut ticket, input.at);
        // A step that falls before the stage was entered fires on entry, in this outcome.
        let wakeup = run.fire_due(&mut ticket, input.at);
        Ok((ticket, run, wakeup))
    }

    /// Appends the record of the opening and finishes the outcome.
    fn record_opening(
        &self,
        mut ticket: Ticket,
        run: Run<'_>,
        wakeup: Option<DateTime<Utc>>,
        opened: DateTime<Utc>,
        fields: Map<String, Value>,
    ) -> (Ticket, Outcome) {
        let entry = AuditEntry::Open(Box::new(OpenRecord { opened, fields }));
        append_audit(&mut ticket, entry, self.seal);
        if !self.history {
            // Most tickets of a batch never add to it: room for one record, not four.
            ticket.history.shrink_to_fit();
        }
        let outcome = run.finish_with(wakeup);
        (ticket, outcome)
    }

    /// Applies `event` to `ticket`. Every ladder step, breach and obligation deadline at or
    /// before the event's time fires first. On error the ticket is left exactly as it was.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 50%, do: flag }\n    - { at: 100%, do: escalate, to: next }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (mut ticket, _) = engine.open(&input)?;
    /// // 11:30: the 50 % flag (11:00) fires first, then the event closes the ticket.
    /// let done = Event::named("done", "2026-03-02T11:30:00Z".parse()?);
    /// let outcome = engine.apply(&mut ticket, &done)?;
    /// let kinds: Vec<_> = outcome.rows.iter().map(|r| r.kind.as_str()).collect();
    /// assert_eq!(kinds, ["flag", "event", "entered", "closed"]);
    /// assert_eq!(outcome.next_wakeup, None);
    ///
    /// // A refused event leaves the ticket exactly as it was.
    /// let before = ticket.clone();
    /// let err = engine.apply(&mut ticket, &Event::named("done", "2026-03-02T12:00:00Z".parse()?));
    /// assert_eq!(err.unwrap_err().code(), "closed");
    /// assert_eq!(ticket, before);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply(&self, ticket: &mut Ticket, event: &Event) -> Result<Outcome, Rejection> {
        self.check_pin(ticket)?;
        if ticket.is_closed() {
            return Err(Rejection::Closed { ticket: ticket.id.to_string() });
        }
        if event.at < ticket.clock_at {
            return Err(Rejection::OutOfOrder {
                at: event.at,
                clock_at: ticket.clock_at,
                zone: self.policy.calendar.tz(),
            });
        }
        let mut run = Run::new(self);
        let plan = run.plan(ticket, event)?;
        run.fire_due(ticket, event.at);
        ticket.clock_at = event.at;
        run.commit(ticket, event, plan);
        // What the event started (a stage's early steps, a clock run out on entry) falls due now.
        let wakeup = run.fire_due(ticket, event.at);
        ticket.last_event_at = event.at;
        if self.history || event.event == SET {
            append_audit(ticket, AuditEntry::Event(Box::new(event.clone())), self.seal);
        }
        Ok(run.finish_with(wakeup))
    }

    /// Brings `ticket` to `now`: fires every ladder step, breach and obligation deadline due at or
    /// before `now`. Calling it with an earlier `now` than the ticket has seen, or on a closed
    /// ticket, changes nothing.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 50%, do: flag }\n    - { at: 100%, do: escalate, to: next }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (mut ticket, _) = engine.open(&input)?;
    /// let outcome = engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse()?)?;
    /// let actions: Vec<_> = outcome.actions.iter().map(|a| (a.kind, a.tier.as_deref())).collect();
    /// assert_eq!(actions, [
    ///     (ActionKind::Flag, Some("agent")),      // 11:00, 50 %
    ///     (ActionKind::Breach, Some("agent")),    // 13:00, the deadline
    ///     (ActionKind::Escalate, Some("lead")),   // 13:00, 100 %
    /// ]);
    /// assert_eq!((ticket.tier.as_deref(), outcome.next_wakeup), (Some("lead"), None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance(&self, ticket: &mut Ticket, now: DateTime<Utc>) -> Result<Outcome, Rejection> {
        self.check_pin(ticket)?;
        let mut run = Run::new(self);
        if now >= ticket.clock_at && !ticket.is_closed() {
            let wakeup = run.fire_due(ticket, now);
            ticket.clock_at = now;
            return Ok(run.finish_with(wakeup));
        }
        Ok(run.finish(ticket))
    }

    /// The earliest instant at which [`Engine::advance`] would change `ticket`: the same instant
    /// as the `next_wakeup` of the call that produced the ticket, for a host that stored the
    /// ticket and not the outcome.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 50%, do: flag }\n    - { at: 100%, do: escalate, to: next }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, opened) = engine.open(&input)?;
    /// assert_eq!(engine.next_wakeup(&ticket), opened.next_wakeup);
    /// assert_eq!(engine.next_wakeup(&ticket), Some("2026-03-02T11:00:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_wakeup(&self, ticket: &Ticket) -> Option<DateTime<Utc>> {
        Run::new(self).earliest_due(ticket).map(|(t, _)| t)
    }

    /// What the ticket accepts now, what it is waiting for, and its running clocks.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent, lead]\nladders:\n  l:\n    - { at: 50%, do: flag }\n    - { at: 100%, do: escalate, to: next }\nladder: l\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
    /// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// let next = engine.next_actions(&ticket, "2026-03-02T10:00:00Z".parse()?)?;
    /// let done = &next.events[0];
    /// assert_eq!((done.event.as_str(), done.by.as_deref()), ("done", Some("agent")));
    /// let clock = &next.clocks[0];
    /// assert_eq!((clock.name.as_str(), clock.budget.as_str(), clock.used), ("open", "4h", 0.25));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn next_actions(
        &self,
        ticket: &Ticket,
        now: DateTime<Utc>,
    ) -> Result<NextActions, Rejection> {
        self.check_pin(ticket)?;
        let p = &*self.policy;
        let run = Run::new(self);
        let mut events = Vec::new();
        let mut missing = Vec::new();
        let mut pending = Vec::new();
        let mut clocks = Vec::new();
        // Views carry plain strings.
        let tier = || ticket.tier.as_deref().map(str::to_string);
        if !ticket.is_closed() {
            let stage = self.stage(ticket);
            missing = stage
                .requires
                .iter()
                .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
                .cloned()
                .collect::<Vec<_>>();
            let mut member_events = Vec::new();
            if let Some(g) = &ticket.group {
                pending = group_pending(g, self.group_completion(g));
                let def = p.groups.iter().find(|d| d.name == g.name);
                for m in &pending {
                    let tier = def.map(|d| if m == "lead" { d.lead } else { d.member_tier });
                    member_events.push(AcceptedEvent {
                        event: MEMBER_DONE.to_string(),
                        to: None,
                        by: tier.and_then(|t| p.tiers.get(t)).cloned(),
                        member: Some(m.clone()),
                        blocked_by: vec![],
                    });
                }
            }
            let mut blockers = Vec::new();
            if !missing.is_empty() {
                blockers.push(format!("missing {}", missing.join(", ")));
            }
            if !pending.is_empty() {
                blockers.push(format!("waiting for {}", pending.join(", ")));
            }
            for tr in &stage.on {
                let mut blocked_by = blockers.clone();
                if let Some(w) = &tr.when {
                    match run.eval(w, &ticket.fields) {
                        Ok(true) => {}
                        Ok(false) => {
                            blocked_by.push(format!("condition `{}` is false", w.source()))
                        }
                        Err(e) => blocked_by.push(format!(
                            "condition `{}` cannot be evaluated: {}",
                            w.source(),
                            e.message
                        )),
                    }
                }
                events.push(AcceptedEvent {
                    event: tr.event.clone(),
                    to: p.stages.get(tr.to).map(|s| s.name.clone()),
                    by: tier(),
                    member: None,
                    blocked_by,
                });
            }
            for rule in &p.pauses {
                let paused = ticket.clock.as_ref().and_then(|c| c.paused.as_ref());
                match paused {
                    Some(pz) if pz.resume_on == rule.resume_on => events.push(AcceptedEvent {
                        event: rule.resume_on.clone(),
                        to: None,
                        by: None,
                        member: None,
                        blocked_by: vec![],
                    }),
                    None if ticket.clock.is_some() => events.push(AcceptedEvent {
                        event: rule.on.clone(),
                        to: None,
                        by: tier(),
                        member: None,
                        blocked_by: vec![],
                    }),
                    _ => {}
                }
            }
            for a in &missing {
                events.push(AcceptedEvent {
                    event: ATTACH.to_string(),
                    to: None,
                    by: tier(),
                    member: None,
                    blocked_by: vec![format!("artifact `{a}`")],
                });
            }
            events.append(&mut member_events);
            if let Some(c) = &ticket.clock {
                clocks.push(ClockView {
                    kind: "stage".into(),
                    name: ticket.stage.to_string(),
                    tier: tier(),
                    budget: c.budget.to_string(),
                    deadline: c.deadline,
                    used: run.used_share(c, now),
                    provisional: c.provisional,
                    paused: c.paused.is_some(),
                    overdue: c.paused.is_none() && now >= c.deadline,
                });
            }
            for ob in &p.obligations {
                let Some(st) = ticket.obligations.get(ob.name.as_str()) else { continue };
                if st.done.is_some() {
                    continue;
                }
                events.push(AcceptedEvent {
                    event: ob.done_on.clone(),
                    to: None,
                    by: p.tiers.get(ob.owner).cloned(),
                    member: None,
                    blocked_by: vec![],
                });
                // On the working clock for a working-time limit, as for a stage.
                let working = Run::is_working(&ob.due);
                let started = run.scale(working, st.started);
                let total = (run.scale(working, st.deadline) - started).max(1);
                clocks.push(ClockView {
                    kind: "obligation".into(),
                    name: ob.name.clone(),
                    tier: p.tiers.get(ob.owner).cloned(),
                    budget: ob.due.to_string(),
                    deadline: st.deadline,
                    used: (run.scale(working, now) - started) as f64 / total as f64,
                    provisional: st.provisional,
                    paused: false,
                    overdue: now >= st.deadline,
                });
            }
        }
        Ok(NextActions {
            stage: ticket.stage.to_string(),
            tier: tier(),
            assignee: ticket.assignee.as_deref().map(str::to_string),
            closed: ticket.is_closed(),
            events,
            missing_artifacts: missing,
            pending_members: pending,
            clocks,
            next_wakeup: self.next_wakeup(ticket),
        })
    }

    /// Moves a ticket opened under another policy (or version) to this engine's policy (see
    /// [`Migration`] for both ways). Keeping the deadlines needs the ticket's stage in the new
    /// policy; recomputing replays the history, so it follows a renamed stage.
    ///
    /// ```
    /// use ombud_engine::runtime::{Engine, Migration, OpenTicket};
    /// let v1 = "\
    /// policy: desk
    /// version: '1'
    /// calendar: weekdays
    /// tiers: [agent]
    /// start: open
    /// stages:
    ///   open: { owner: agent, due: 4h, on: { done: closed } }
    ///   closed: { terminal: true }
    /// ";
    /// let v2 = v1.replace("'1'", "'2'").replace("open", "triage");
    /// let load = |text: &str| {
    ///     Engine::new(ombud_engine::load_policy("p.yaml", text, None).unwrap().0.into())
    /// };
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, _) = load(v1).open(&input)?;
    /// let err = load(&v2).migrate(&ticket, Migration::KeepDeadlines).unwrap_err();
    /// assert_eq!(err.to_string(), "stage `open` does not exist in policy `desk` 2");
    /// let (moved, _) = load(&v2).migrate(&ticket, Migration::Recompute)?;
    /// assert_eq!(moved.stage, "triage");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migrate(&self, ticket: &Ticket, how: Migration) -> Result<(Ticket, Outcome), Rejection> {
        match how {
            Migration::KeepDeadlines => {
                if self.policy.stage_id(&ticket.stage).is_none() {
                    return Err(Rejection::bad(format!(
                        "stage `{}` does not exist in policy `{}` {}",
                        ticket.stage, self.pin.id, self.pin.version
                    )));
                }
                let mut t = ticket.clone();
                // The step instants and fired marks were the old ladder's. Under the new one, a
                // step at or before the ticket's clock counts as fired: keeping the deadlines
                // does not replay the past.
                let (clock_at, run) = (t.clock_at, Run::new(self));
                let ladder = self.stage(&t).ladder.and_then(|l| self.policy.ladders.get(l));
                if let Some(c) = t.clock.as_mut() {
                    let steps = ladder.map_or(&[][..], |l| &l.steps[..]);
                    c.fired = steps
                        .iter()
                        .take(64)
                        .enumerate()
                        .filter(|(_, step)| run.step_time(c, &step.at) <= clock_at)
                        .fold(0, |fired, (i, _)| fired | 1u64 << i);
                }
                for (name, value) in ticket.fields.iter() {
                    let unset_enum = matches!(
                        (self.policy.field(name).map(|f| &f.ty), value),
                        (Some(FieldType::Enum(_)), Value::String(s)) if s.is_empty()
                    );
                    if self.policy.field(name).is_some() && !unset_enum {
                        self.check_field(name, value)?;
                    }
                }
                t.policy = self.pin.clone();
                let next_wakeup = self.next_wakeup(&t);
                Ok((t, Outcome { next_wakeup, ..Outcome::default() }))
            }
            Migration::Recompute => {
                let Some(AuditRecord { entry: AuditEntry::Open(open), .. }) =
                    ticket.history.first()
                else {
                    return Err(Rejection::bad("ticket has no recorded opening to recompute from"));
                };
                let input = OpenTicket {
                    id: ticket.id.to_string(),
                    at: open.opened,
                    fields: open.fields.clone(),
                };
                let (mut t, mut outcome) = self.open(&input)?;
                for rec in ticket.history.iter().skip(1) {
                    if let AuditEntry::Event(e) = &rec.entry {
                        // A recorded event was accepted when it came; a build from before stray
                        // keys were refused dropped them, and so does the replay.
                        let e = e.without_stray_keys();
                        match self.apply(&mut t, &e) {
                            Ok(o) => absorb(&mut outcome, o),
                            Err(err) => outcome.rows.push(rejected_row(&t, &e, &err)),
                        }
                    }
                }
                let o = self.advance(&mut t, ticket.clock_at)?;
                let next_wakeup = o.next_wakeup;
                absorb(&mut outcome, o);
                outcome.next_wakeup = next_wakeup;
                Ok((t, outcome))
            }
        }
    }

    /// Whether `name` is both computed and declared: a value given for it wins over the rules.
    fn derived_and_declared(&self, name: &str) -> bool {
        self.policy.derived.iter().any(|d| d.name == name) && self.policy.field(name).is_some()
    }

    fn check_pin(&self, ticket: &Ticket) -> Result<(), Rejection> {
        if ticket.policy.same_allocation(&self.pin) || ticket.policy == self.pin {
            Ok(())
        } else {
            let show =
                |p: &PolicyPin| format!("{}@{}#{}", p.id, p.version, short_digest(&p.digest));
            Err(Rejection::PolicyMismatch {
                ticket_policy: show(&ticket.policy),
                engine_policy: show(&self.pin),
            })
        }
    }

    fn stage(&self, ticket: &Ticket) -> &StageDef {
        let id = self.policy.stage_id(&ticket.stage).unwrap_or(self.policy.start);
        &self.policy.stages[id]
    }

    fn group_completion(&self, g: &GroupState) -> Completion {
        self.policy.groups.iter().find(|d| d.name == g.name).map_or(Completion::All, |d| d.complete)
    }

    /// Type-checks one given field value against its declaration.
    fn check_field(&self, name: &str, value: &Value) -> Result<Value, Rejection> {
        let Some(def) = self.policy.field(name) else {
            let derived_only = self.policy.derived.iter().any(|d| d.name == name);
            if derived_only {
                return Ok(value.clone());
            }
            let names = self.policy.fields.iter().map(|f| f.name.as_str());
            return Err(Rejection::UnknownField {
                field: name.to_string(),
                hint: crate::check::did_you_mean(name, names),
            });
        };
        self.check_value(def, name, value)
    }

    /// Checks `value` against the declared field `def` (named `name`).
    fn check_value(
        &self,
        def: &crate::compile::FieldDef,
        name: &str,
        value: &Value,
    ) -> Result<Value, Rejection> {
        let wrong = |expected: &str| Rejection::WrongType {
            field: name.to_string(),
            expected: expected.to_string(),
            got: type_name(value).to_string(),
        };
        // Conditions read lists and maps through the expression sandbox, whose limits would
        // refuse a larger one at every evaluation: it is refused here, once, naming the field.
        let fits = || {
            let sizes = crate::expr::sandbox_sizes(value);
            if sizes.exceeds_limits() {
                return Err(Rejection::WrongType {
                    field: name.to_string(),
                    expected: format!(
                        "at most {} list entries, {} map entries and {} bytes of text in all",
                        limits::MAX_ARRAY_SIZE,
                        limits::MAX_MAP_SIZE,
                        limits::MAX_STRING_SIZE
                    ),
                    got: sizes.to_string(),
                });
            }
            Ok(value.clone())
        };
        match (&def.ty, value) {
            (FieldType::String, Value::String(_))
            | (FieldType::Number, Value::Number(_))
            | (FieldType::Bool, Value::Bool(_)) => Ok(value.clone()),
            (FieldType::Map, Value::Object(_)) => fits(),
            (FieldType::Int, Value::Number(n)) => match n.as_i64() {
                Some(_) => Ok(value.clone()),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::from(f as i64)),
                    _ => Err(wrong("a whole number")),
                },
            },
            (FieldType::List, Value::Array(items)) => {
                if items.iter().all(Value::is_string) {
                    fits()
                } else {
                    Err(wrong("a list of strings"))
                }
            }
            (FieldType::Enum(values), Value::String(s)) => {
                if values.iter().any(|v| v == s) {
                    Ok(value.clone())
                } else {
                    Err(Rejection::NotInEnum {
                        field: name.to_string(),
                        value: s.clone(),
                        allowed: values.clone(),
                    })
                }
            }
            (FieldType::String | FieldType::Enum(_), _) => Err(wrong("a string")),
            (FieldType::Number, _) => Err(wrong("a number")),
            (FieldType::Int, _) => Err(wrong("a whole number")),
            (FieldType::Bool, _) => Err(wrong("true or false")),
            (FieldType::List, _) => Err(wrong("a list")),
            (FieldType::Map, _) => Err(wrong("a map")),
        }
    }

    /// Computes derived fields in declaration order; a value given for a declared field wins.
    /// Returns the conditions that could not be evaluated.
    fn derive(&self, fields: &mut FieldMap, given: &dyn Fn(&str) -> bool) -> Vec<ConditionError> {
        let run = Run::new(self);
        // Keyword rules read the declared string and list fields, which deriving never
        // changes; the text is built the first time a rule with keywords needs it.
        let mut text = None;
        for (d, def) in self.policy.derived.iter().enumerate() {
            if given(&def.name) && self.policy.field(&def.name).is_some() {
                continue;
            }
            let value = self
                .first_rule(&run, d, fields, &mut text)
                .and_then(|(i, _)| def.rules.get(i))
                .map(|rule| rule.value.clone());
            let value = value.unwrap_or_else(|| {
                self.policy
                    .field(&def.name)
                    .and_then(|f| f.default.clone())
                    .unwrap_or_else(|| Value::String(String::new()))
            });
            run.field_set(&def.name, &value);
            fields.insert(def.name.as_str(), value);
        }
        run.condition_errors.into_inner()
    }

    /// Which rule of computed field `name` classifies `fields`: its index and the keyword that
    /// matched (`None` for a rule without keywords). `None` when no rule matches, when `name` is
    /// not computed, or when the value was given on the ticket (`given`).
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../policies/service-complaints.yaml");
    /// # let engine = Engine::new(std::sync::Arc::new(ombud_engine::load_policy_file(path.as_ref()).unwrap().0));
    /// let input: OpenTicket = serde_json::from_str(
    ///     r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00","fields":{"text":"重复计费"}}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// // The second `category` rule (fees) matched on its keyword 重复计费.
    /// let rule = engine.matching_rule("category", ticket.fields.map(), false);
    /// assert_eq!(rule, Some((1, Some("重复计费".to_string()))));
    /// assert_eq!(engine.matching_rule("category", ticket.fields.map(), true), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matching_rule(
        &self,
        name: &str,
        fields: &FieldMap,
        given: bool,
    ) -> Option<(usize, Option<String>)> {
        let d = self.policy.derived.iter().position(|d| d.name == name)?;
        if given && self.policy.field(name).is_some() {
            return None;
        }
        let (i, hit) = self.first_rule(&Run::new(self), d, fields, &mut None)?;
        let keyword = hit.and_then(|k| self.policy.derived.get(d)?.rules.get(i)?.keywords.get(k));
        Some((i, keyword.cloned()))
    }

    /// The first rule of derived field `d` whose keywords and condition hold, with the index of
    /// the keyword that matched in its rule's list. `text` is the ticket's keyword text, built
    /// by the first rule with keywords that needs it.
    fn first_rule(
        &self,
        run: &Run<'_>,
        d: usize,
        fields: &FieldMap,
        text: &mut Option<String>,
    ) -> Option<(usize, Option<usize>)> {
        let def = self.policy.derived.get(d)?;
        let keywords = self.keywords.get(d)?;
        let mut hits = None;
        def.rules.iter().enumerate().find_map(|(i, rule)| {
            let kw = if rule.keywords.is_empty() {
                None
            } else {
                let text = text.get_or_insert_with(|| searchable_text(fields, &self.policy));
                let hits: &Vec<Option<usize>> = hits.get_or_insert_with(|| keywords.hits(text));
                Some(hits.get(i).copied().flatten()?)
            };
            rule.when.as_ref().is_none_or(|w| run.holds(w, fields)).then_some((i, kw))
        })
    }
}

/// The keyword rules of one derived field, searched for in one pass over the text.
#[derive(Debug, Clone)]
struct Keywords {
    /// Every keyword of every rule, lowercased; `None` when no rule has keywords.
    automaton: Option<AhoCorasick>,
    /// Pattern id → (rule, index of the keyword in the rule's list).
    owners: Vec<(usize, usize)>,
    rules: usize,
}

impl Keywords {
    fn new(def: &crate::compile::DeriveDef) -> Self {
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (r, rule) in def.rules.iter().enumerate() {
            for (k, keyword) in rule.keywords.iter().enumerate() {
                patterns.push(keyword.to_lowercase());
                owners.push((r, k));
            }
        }
        // Building fails only past limits far beyond any policy's keyword list (and the policy
        // loader caps file sizes); then no keyword matches.
        let automaton = (!patterns.is_empty())
            .then(|| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&patterns).ok())
            .flatten();
        Keywords { automaton, owners, rules: def.rules.len() }
    }

    /// For each rule, the first keyword of its list (by position in the list) found in `text`.
    fn hits(&self, text: &str) -> Vec<Option<usize>> {
        let mut hits = vec![None; self.rules];
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
                if let Some(&(r, k)) = self.owners.get(m.pattern().as_usize())
                    && let Some(slot) = hits.get_mut(r)
                {
                    *slot = Some(slot.map_or(k, |old: usize| old.min(k)));
                }
            }
        }
        hits
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

fn neutral(ty: &FieldType) -> Value {
    match ty {
        FieldType::String | FieldType::Enum(_) => Value::String(String::new()),
        FieldType::Number | FieldType::Int => Value::from(0),
        FieldType::Bool => Value::Bool(false),
        FieldType::List => Value::Array(vec![]),
        FieldType::Map => Value::Object(Map::new()),
    }
}

/// Lowercased text of every string field (and strings inside lists), for keyword rules.
fn searchable_text(fields: &FieldMap, policy: &CompiledPolicy) -> String {
    let mut text = String::new();
    let mut push = |s: &str| {
        text.push_str(&s.to_lowercase());
        text.push('\n');
    };
    // The type first: only string and list fields are looked up.
    for f in policy.fields.iter().filter(|f| matches!(f.ty, FieldType::String | FieldType::List)) {
        match (fields.get(&f.name), &f.ty) {
            (Some(Value::String(s)), FieldType::String) => push(s),
            (Some(Value::Array(items)), FieldType::List) => {
                items.iter().filter_map(Value::as_str).for_each(&mut push);
            }
            _ => {}
        }
    }
    text
}

/// Makes `tier` responsible for the ticket. The assignee was the previous tier's person, so a
/// change of tier leaves the ticket unassigned until the host names someone.
fn hand_over(ticket: &mut Ticket, tier: Option<Text>) {
    if ticket.tier != tier {
        ticket.assignee = None;
        ticket.tier = tier;
    }
}

fn group_pending(g: &GroupState, how: Completion) -> Vec<String> {
    let pending: Vec<String> =
        g.members.iter().filter(|(_, d)| d.is_none()).map(|(m, _)| m.to_string()).collect();
    match how {
        Completion::All => pending,
        Completion::Any if pending.len() < g.members.len() || g.members.is_empty() => vec![],
        Completion::Any => pending,
        Completion::Lead if g.lead_done.is_some() => vec![],
        Completion::Lead => vec!["lead".to_string()],
    }
}

fn short_digest(d: &str) -> &str {
    d.get(..12).unwrap_or(d)
}

/// A `rejected` timeline row for `event` refused with `err`: what a host appends to the
/// ticket's timeline when it shows refusals beside what happened.
///
/// ```
/// # use ombud_engine::runtime::*;
/// # let text = "policy: desk\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, due: 4h, on: { done: closed } }\n  closed: { terminal: true }\n";
/// # let engine = Engine::new(ombud_engine::load_policy("desk.yaml", text, None).unwrap().0.into());
/// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
/// let (mut ticket, _) = engine.open(&input)?;
/// let event = Event::named("approve", "2026-03-02T10:00:00Z".parse()?);
/// let err = engine.apply(&mut ticket, &event).unwrap_err();
/// let row = rejected_row(&ticket, &event, &err);
/// assert_eq!(row.kind, RowKind::Rejected);
/// assert_eq!(row.detail,
///     "approve [not_accepted]: stage `open` does not accept event `approve` (it accepts `done`)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rejected_row(ticket: &Ticket, event: &Event, err: &Rejection) -> TimelineRow {
    TimelineRow {
        at: event.at,
        kind: RowKind::Rejected,
        stage: Some(ticket.stage.clone()),
        tier: ticket.tier.as_deref().map(Text::from),
        detail: format_compact!("{} [{}]: {err}", event.event, err.code()),
        due: None,
        provisional: false,
    }
}

/// Adds a replayed call's rows and condition errors (each once) to `outcome`; not its actions,
/// which the host carried out when the events first came.
fn absorb(outcome: &mut Outcome, later: Outcome) {
    outcome.rows.extend(later.rows);
    for e in later.condition_errors {
        if !outcome.condition_errors.contains(&e) {
            outcome.condition_errors.push(e);
        }
    }
}

fn append_audit(ticket: &mut Ticket, entry: AuditEntry, seal: bool) {
    let seq = ticket.history.len() as u64;
    if !seal {
        let (state, hash) = (Digest::default(), Digest::default());
        ticket.history.push(AuditRecord { seq, entry, state, hash });
        return;
    }
    // The digest covers neither `history` nor `audit_head`, so neither needs moving out first.
    let state = state_digest(ticket);
    let hash = record_hash(&ticket.audit_head, &entry, &state);
    ticket.audit_head = hash.clone();
    ticket.history.push(AuditRecord { seq, entry, state, hash });
}

/// One call's working state: the rows and actions it produces.
struct Run<'e> {
    engine: &'e Engine,
    rows: Vec<TimelineRow>,
    actions: Vec<Action>,
    scope: RefCell<rhai::Scope<'static>>,
    /// Conditions that failed to evaluate (and counted as false), each once.
    condition_errors: RefCell<Vec<ConditionError>>,
}

impl<'e> Run<'e> {
    fn new(engine: &'e Engine) -> Self {
        Run {
            engine,
            rows: Vec::new(),
            actions: Vec::new(),
            scope: RefCell::new(rhai::Scope::new()),
            condition_errors: RefCell::new(Vec::new()),
        }
    }

    fn policy(&self) -> &'e CompiledPolicy {
        &self.engine.policy
    }

    fn finish(self, ticket: &Ticket) -> Outcome {
        let next_wakeup = self.earliest_due(ticket).map(|(t, _)| t);
        self.finish_with(next_wakeup)
    }

    /// As `finish`, with the wake-up the last `fire_due` found (nothing may change the ticket's
    /// stage, clocks or obligations in between).
    fn finish_with(self, next_wakeup: Option<DateTime<Utc>>) -> Outcome {
        Outcome {
            rows: self.rows,
            actions: self.actions,
            next_wakeup,
            condition_errors: self.condition_errors.into_inner(),
        }
    }

    /// `t` as timeline text shows it (`Thu 26 Feb 2026 24:00`), in the calendar's zone.
    fn human(&self, t: DateTime<Utc>) -> timefmt::Human {
        timefmt::Human { tz: self.policy().calendar.tz(), t }
    }

    fn push(&mut self, row: TimelineRow) {
        self.rows.push(row);
    }

    fn row(
        &mut self,
        at: DateTime<Utc>,
        kind: RowKind,
        stage: Option<&str>,
        tier: Option<&str>,
        detail: impl Into<Text>,
    ) {
        self.push(TimelineRow {
            at,
            kind,
            stage: stage.map(Text::from),
            tier: tier.map(Text::from),
            detail: detail.into(),
            due: None,
            provisional: false,
        });
    }

    fn action(
        &mut self,
        at: DateTime<Utc>,
        kind: ActionKind,
        subject: &str,
        tier: Option<&str>,
        mark: Option<&str>,
    ) {
        self.actions.push(Action {
            at,
            kind,
            subject: Text::from(subject),
            tier: tier.map(Text::from),
            mark: mark.map(Text::from),
            against: None,
            assignee: None,
        });
    }

    /// Evaluates a condition; a condition that cannot be evaluated counts as false, and is
    /// reported in the outcome's `condition_errors`.
    fn holds(&self, expr: &Expr, fields: &FieldMap) -> bool {
        self.eval(expr, fields).unwrap_or_else(|e| {
            let condition = expr.source().to_string();
            self.condition_error(ConditionError { condition, message: e.message });
            false
        })
    }

    /// Notes a condition that could not be evaluated, once per call.
    fn condition_error(&self, error: ConditionError) {
        let mut errors = self.condition_errors.borrow_mut();
        if !errors.contains(&error) {
            errors.push(error);
        }
    }

    fn guard(&self, expr: &Expr, fields: &FieldMap) -> Result<bool, Rejection> {
        self.eval(expr, fields).map_err(|e| Rejection::Evaluation {
            condition: expr.source().to_string(),
            message: e.message,
        })
    }

    /// Evaluates in this call's scope, which binds each name the first time a condition reads it
    /// (see [`Expr::variables`]); every change to `fields` goes through [`Run::field_set`] or
    /// [`Run::fields_changed`].
    fn eval(&self, expr: &Expr, fields: &FieldMap) -> Result<bool, ExprError> {
        self.policy().exprs.eval_bool_lazy(expr, fields, &mut self.scope.borrow_mut())
    }

    /// Updates one bound variable after `fields[name]` changed.
    fn field_set(&self, name: &str, value: &Value) {
        let mut scope = self.scope.borrow_mut();
        if scope.contains(name) {
            scope.set_value(name.to_string(), crate::expr::to_dynamic(value));
        }
    }

    /// Unbinds everything after `fields` changed wholesale.
    fn fields_changed(&self) {
        self.scope.borrow_mut().clear();
    }

    fn is_working(budget: &Duration) -> bool {
        matches!(budget, Duration::WorkingDays(_) | Duration::WorkingHours { .. })
    }

    /// Position on the clock's scale (working or wall seconds).
    fn scale(&self, working: bool, t: DateTime<Utc>) -> i64 {
        if working { self.policy().calendar.working_clock(t) } else { t.timestamp() }
    }

    fn at_scale(&self, working: bool, v: i64) -> DateTime<Utc> {
        if working {
            self.policy().calendar.at_working_clock(v)
        } else {
            DateTime::from_timestamp(v, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
        }
    }

    fn used_share(&self, c: &StageClock, now: DateTime<Utc>) -> f64 {
        let working = Self::is_working(&c.budget);
        let at = c.paused.as_ref().map_or(now, |p| p.since);
        let left = self.scale(working, c.deadline) - self.scale(working, at);
        let left = match &c.paused {
            Some(p) => p.remaining,
            None => left,
        };
        if c.total <= 0 { 1.0 } else { 1.0 - left as f64 / c.total as f64 }
    }

    /// When a ladder step falls on clock `c`. A step that would fall before the stage was
    /// entered (`deadline - 2h` on a 30-minute stage) falls at the entry, not in the past.
    fn step_time(&self, c: &StageClock, step: &StepAt) -> DateTime<Utc> {
        self.step_offset(c, step).max(c.started)
    }

    /// When a ladder step falls on clock `c`, before the entry or not.
    fn step_offset(&self, c: &StageClock, step: &StepAt) -> DateTime<Utc> {
        let cal = &self.policy().calendar;
        let working = Self::is_working(&c.budget);
        match step {
            StepAt::Percent(p) => {
                let back = ((1.0 - p / 100.0) * c.total as f64).round() as i64;
                let end = self.scale(working, c.deadline);
                self.at_scale(working, end - back)
            }
            StepAt::Offset { before, by } => match (*before, *by) {
                (false, Duration::WorkingDays(n)) => cal.working_days_after(c.deadline, n),
                (true, Duration::WorkingDays(n)) => cal.working_days_before(c.deadline, n),
                (b, Duration::WorkingHours { minutes }) => {
                    let d = i64::from(minutes) * 60;
                    let w = cal.working_clock(c.deadline);
                    cal.at_working_clock(if b { w - d } else { w + d })
                }
                (b, Duration::Wall { seconds }) => {
                    let d = chrono::Duration::seconds(seconds);
                    if b { c.deadline - d } else { c.deadline + d }
                }
                (b, Duration::CalendarDays(n)) => {
                    let d = chrono::Duration::days(i64::from(n));
                    if b { c.deadline - d } else { c.deadline + d }
                }
            },
        }
    }

    /// The earliest pending item on the ticket's clocks.
    fn earliest_due(&self, ticket: &Ticket) -> Option<(DateTime<Utc>, Due)> {
        if ticket.is_closed() {
            return None;
        }
        let p = self.policy();
        let mut best: Option<(DateTime<Utc>, Due)> = None;
        let mut consider = |t: DateTime<Utc>, d: Due| {
            if best.is_none_or(|b| (t, d) < b) {
                best = Some((t, d));
            }
        };
        if let Some(c) = ticket.clock.as_ref().filter(|c| c.paused.is_none()) {
            if !c.breached {
                consider(c.deadline, Due::Breach);
            }
            let stage = self.engine.stage(ticket);
            if let Some(ladder) = stage.ladder.and_then(|l| p.ladders.get(l)) {
                // At most 64 steps, the width of `fired`.
                for (i, step) in ladder.steps.iter().take(64).enumerate() {
                    if c.fired & (1u64 << i) == 0 {
                        consider(self.step_time(c, &step.at), Due::Step(i));
                    }
                }
            }
        }
        for (i, ob) in p.obligations.iter().enumerate() {
            if let Some(st) =
                ticket.obligations.get(ob.name.as_str()).filter(|s| s.done.is_none() && !s.breached)
            {
                consider(st.deadline, Due::Obligation(i));
            }
        }
        best
    }

    /// Fires every due item at or before `now`, in time order.
    /// Returns the instant of the first item left, after `now`: the ticket's wake-up for as
    /// long as nothing else changes its clocks.
    fn fire_due(&mut self, ticket: &mut Ticket, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Each firing marks its item done, so this ends; the bound is a guard against bugs.
        for _ in 0..256 {
            let (at, due) = self.earliest_due(ticket)?;
            if at > now {
                return Some(at);
            }
            // An item a resume or an event moved before the ticket's clock fires at the clock,
            // not in the past.
            self.fire(ticket, at.max(ticket.clock_at), due);
        }
        self.earliest_due(ticket).map(|(t, _)| t)
    }

    fn fire(&mut self, ticket: &mut Ticket, at: DateTime<Utc>, due: Due) {
        let p = self.policy();
        let stage_name: &'e str = &self.engine.stage(ticket).name;
        match due {
            Due::Breach => {
                let Some(c) = ticket.clock.as_mut() else { return };
                c.breached = true;
                let detail = detail!(
                    self,
                    "`{stage_name}` overdue: {} ran out {}",
                    c.budget,
                    self.human(c.deadline)
                );
                ticket.stats.breaches += 1;
                let tier = ticket.tier.clone();
                self.row(at, RowKind::Breach, Some(stage_name), tier.as_deref(), detail);
                self.action(at, ActionKind::Breach, stage_name, tier.as_deref(), None);
            }
            Due::Step(i) => {
                let Some(c) = ticket.clock.as_mut() else { return };
                c.fired |= 1u64 << i;
                let stage = self.engine.stage(ticket);
                let Some(step) =
                    stage.ladder.and_then(|l| p.ladders.get(l)).and_then(|l| l.steps.get(i))
                else {
                    return;
                };
                if step.when.as_ref().is_some_and(|w| !self.holds(w, &ticket.fields)) {
                    return;
                }
                let before = ticket.tier.clone();
                let assignee = ticket.assignee.clone();
                let target = |t: TierTarget| -> Option<Text> {
                    let cur = before.as_deref().and_then(|b| p.tier_id(b));
                    match t {
                        TierTarget::Tier(id) => p.tiers.get(id).map(|t| Text::from(t.as_str())),
                        TierTarget::Owner => ticket.owner.clone(),
                        TierTarget::Next => cur
                            .map(|c| (c + 1).min(p.tiers.len().saturating_sub(1)))
                            .and_then(|n| p.tiers.get(n).map(|t| Text::from(t.as_str()))),
                    }
                };
                let to = step.to.and_then(target);
                // A notify step goes to its `notify:` tier, or else to its `to:` tier.
                let notify = step
                    .notify
                    .or(step.to.filter(|_| step.action == LadderAction::Notify))
                    .and_then(target);
                // An escalation whose target already holds the ticket (`next` at the top tier, or
                // a named tier it was escalated to before) moves nothing: it is recorded and sent
                // as a notification to that tier, and not counted as an escalation.
                let action = match step.action {
                    LadderAction::Escalate
                        if to.clone().or_else(|| target(TierTarget::Next)) == before =>
                    {
                        LadderAction::Notify
                    }
                    other => other,
                };
                let mut detail = match action {
                    LadderAction::Flag => {
                        ticket.flagged = true;
                        ticket.stats.flags += 1;
                        detail!(self, "flagged red at {}", step.at_text)
                    }
                    LadderAction::Notify if step.action == LadderAction::Escalate => detail!(
                        self,
                        "already with {}: no higher tier at {}",
                        before.as_deref().unwrap_or_default(),
                        step.at_text
                    ),
                    LadderAction::Notify => detail!(self, "{}", step.at_text),
                    LadderAction::Escalate => {
                        let to = to.clone().or_else(|| target(TierTarget::Next));
                        ticket.stats.escalations += 1;
                        let from = before.clone().unwrap_or_default();
                        hand_over(ticket, to.clone());
                        detail!(self, "{} → {} at {}", from, to.unwrap_or_default(), step.at_text)
                    }
                    LadderAction::Reassign => {
                        let from = before.clone().unwrap_or_default();
                        if to.is_some() {
                            hand_over(ticket, to.clone());
                        }
                        detail!(self, "{} → {} at {}", from, to.unwrap_or_default(), step.at_text)
                    }
                };
                if let Some(n) = notify.as_ref().filter(|_| self.engine.text) {
                    let _ = write!(detail, "; notify {n}");
                }
                if let Some(m) = &step.mark {
                    let against = before.clone().unwrap_or_default();
                    if self.engine.text {
                        let _ = write!(detail, "; mark `{m}` against {against}");
                        if let Some(a) = &assignee {
                            let _ = write!(detail, " ({a})");
                        }
                    }
                    ticket.marks.push(Mark {
                        at,
                        mark: Text::from(m.as_str()),
                        stage: Text::from(stage_name),
                        tier: against,
                        assignee: assignee.clone(),
                    });
                }
                let (kind, action_kind) = match action {
                    LadderAction::Flag => (RowKind::Flag, ActionKind::Flag),
                    LadderAction::Notify => (RowKind::Notify, ActionKind::Notify),
                    LadderAction::Escalate => (RowKind::Escalate, ActionKind::Escalate),
                    LadderAction::Reassign => (RowKind::Reassign, ActionKind::Reassign),
                };
                let tier = ticket.tier.clone();
                self.row(at, kind, Some(stage_name), tier.as_deref(), detail);
                let action_tier = match action {
                    LadderAction::Flag | LadderAction::Notify => {
                        notify.as_deref().or(tier.as_deref())
                    }
                    _ => tier.as_deref(),
                };
                self.action(at, action_kind, stage_name, action_tier, step.mark.as_deref());
                if let Some(a) = self.actions.last_mut().filter(|a| a.mark.is_some()) {
                    a.against = before;
                    a.assignee = assignee;
                }
                if let Some(n) = notify.filter(|_| action != LadderAction::Notify) {
                    self.action(at, ActionKind::Notify, stage_name, Some(&n), None);
                }
            }
            Due::Obligation(i) => {
                let Some(ob) = p.obligations.get(i) else { return };
                let Some(st) = ticket.obligations.get_mut(ob.name.as_str()) else { return };
                st.breached = true;
                ticket.stats.breaches += 1;
                let owner = p.tiers.get(ob.owner).cloned();
                let detail = detail!(self, "obligation `{}` overdue: {} ran out", ob.name, ob.due);
                self.row(at, RowKind::Breach, Some(&ob.name), owner.as_deref(), detail);
                self.action(at, ActionKind::Breach, &ob.name, owner.as_deref(), None);
            }
        }
    }

    /// Enters `stage_id` at `at`: owner, clock, ladder, group, then automatic transitions.
    /// Stage ids come from the compiled policy, so the stage exists; entering cannot fail.
    fn enter(&mut self, ticket: &mut Ticket, stage_id: StageId, at: DateTime<Utc>, depth: usize) {
        let p = self.policy();
        let Some(stage) = p.stages.get(stage_id) else { return };
        ticket.stage = Text::from(stage.name.as_str());
        ticket.visit += 1;
        ticket.stats.stages_entered += 1;
        ticket.flagged = false;
        ticket.group = None;
        ticket.clock = None;
        let owner = stage
            .owner
            .iter()
            .find(|o| o.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)))
            .and_then(|o| p.tiers.get(o.value));
        if owner.is_some() || stage.terminal {
            ticket.owner = owner.map(|o| Text::from(o.as_str()));
            if owner.is_some() {
                hand_over(ticket, ticket.owner.clone());
            }
        }
        let detail = match owner {
            Some(o) => detail!(self, "owner {o}"),
            None => Text::const_new(""),
        };
        self.row(at, RowKind::Entered, Some(&stage.name), ticket.tier.as_deref(), detail);
        if stage.terminal {
            ticket.closed_at = Some(at);
            self.row(
                at,
                RowKind::Closed,
                Some(&stage.name),
                ticket.tier.as_deref(),
                detail!(self, "all clocks stopped"),
            );
            return;
        }
        let budget = stage
            .due
            .iter()
            .find(|d| d.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)))
            .map(|d| d.value);
        if let Some(budget) = budget {
            let deadline = p.calendar.add(at, budget);
            let working = Self::is_working(&budget);
            let total = self.scale(working, deadline.at) - self.scale(working, at);
            let provisional = deadline.provisional.is_some();
            ticket.clock = Some(StageClock {
                budget,
                started: at,
                deadline: deadline.at,
                total,
                provisional,
                paused: None,
                fired: 0,
                breached: false,
            });
            let mut detail = detail!(self, "{budget} → due {}", self.human(deadline.at));
            if let Some(pr) = deadline.provisional.as_ref().filter(|_| self.engine.text) {
                let _ = write!(detail, " (provisional: {pr})");
            }
            self.push(TimelineRow {
                at,
                kind: RowKind::Deadline,
                stage: Some(Text::from(&stage.name)),
                tier: ticket.tier.as_deref().map(Text::from),
                detail,
                due: Some(deadline.at),
                provisional,
            });
        }
        for g in &p.groups {
            if !g.stages.contains(&stage_id) {
                continue;
            }
            if !g.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)) {
                continue;
            }
            let members: NameMap<Option<DateTime<Utc>>> = match ticket.fields.get(g.per.as_str()) {
                Some(Value::Array(items)) => {
                    items.iter().filter_map(Value::as_str).map(|m| (Text::from(m), None)).collect()
                }
                Some(Value::String(s)) if !s.is_empty() => {
                    [(Text::from(s.as_str()), None)].into_iter().collect()
                }
                _ => NameMap::new(),
            };
            let lead = p.tiers.get(g.lead).cloned().unwrap_or_default();
            let member_tier = p.tiers.get(g.member_tier).cloned().unwrap_or_default();
            let detail = detail!(
                self,
                "joint group `{}` formed: lead {lead}; {member_tier} of {}; completes when {}",
                g.name,
                members.keys().cloned().collect::<Vec<_>>().join(", "),
                match g.complete {
                    Completion::All => "all members are done",
                    Completion::Any => "any member is done",
                    Completion::Lead => "the lead decides",
                }
            );
            ticket.group =
                Some(GroupState { name: Text::from(g.name.as_str()), members, lead_done: None });
            self.row(at, RowKind::Group, Some(&stage.name), Some(&lead), detail);
            break;
        }
        self.take_autos(ticket, at, depth);
    }

    /// Takes the first automatic transition of the current stage whose condition holds.
    fn take_autos(&mut self, ticket: &mut Ticket, at: DateTime<Utc>, depth: usize) {
        if depth >= MAX_AUTO_CHAIN || ticket.is_closed() {
            return;
        }
        let p = self.policy();
        let stage = self.engine.stage(ticket);
        let missing = stage.requires.iter().any(|a| !ticket.artifacts.contains_key(a.as_str()));
        if missing {
            return;
        }
        let Some(auto) = stage.auto.iter().find(|a| self.holds(&a.when, &ticket.fields)) else {
            return;
        };
        let to = auto.to;
        let detail = detail!(
            self,
            "automatic: `{}` → {}",
            auto.when.source(),
            p.stages.get(to).map_or("?", |s| s.name.as_str())
        );
        self.row(at, RowKind::Event, Some(&stage.name), ticket.tier.as_deref(), detail);
        self.enter(ticket, to, at, depth + 1);
    }

    /// Starts every obligation whose condition now holds.
    fn start_obligations(&mut self, ticket: &mut Ticket, at: DateTime<Utc>) {
        if ticket.is_closed() {
            return;
        }
        let p = self.policy();
        for ob in &p.obligations {
            if ticket.obligations.contains_key(ob.name.as_str()) {
                continue;
            }
            if !ob.when.as_ref().is_none_or(|w| self.holds(w, &ticket.fields)) {
                continue;
            }
            let d = p.calendar.add(at, ob.due);
            let owner = p.tiers.get(ob.owner).cloned();
            ticket.obligations.insert(
                Text::from(ob.name.as_str()),
                ObligationState {
                    started: at,
                    deadline: d.at,
                    provisional: d.provisional.is_some(),
                    done: None,
                    breached: false,
                },
            );
            self.push(TimelineRow {
                at,
                kind: RowKind::Obligation,
                stage: Some(Text::from(&ob.name)),
                tier: owner.map(Text::from),
                detail: detail!(
                    self,
                    "`{}` started: {} → due {}",
                    ob.name,
                    ob.due,
                    self.human(d.at)
                ),
                due: Some(d.at),
                provisional: d.provisional.is_some(),
            });
        }
    }

    /// Discharges obligation `ob` by event `name`; `false` when it is not open.
    fn discharge(
        &mut self,
        ticket: &mut Ticket,
        ob: &crate::compile::ObligationDef,
        name: &str,
        at: DateTime<Utc>,
    ) -> bool {
        let Some(st) = ticket.obligations.get_mut(ob.name.as_str()).filter(|s| s.done.is_none())
        else {
            return false;
        };
        st.done = Some(at);
        let late = if st.breached { " (late)" } else { "" };
        let owner = self.policy().tiers.get(ob.owner).cloned();
        let detail = detail!(self, "`{}` done by {name}{late}", ob.name);
        self.row(at, RowKind::Obligation, Some(&ob.name), owner.as_deref(), detail);
        true
    }

    /// Decides what `event` does to `ticket`, or why it is refused, without changing anything.
    ///
    /// Firing due clock items never changes what an event is allowed to do: ladder steps,
    /// breaches and obligation deadlines touch tiers, flags, marks and counters, never the stage,
    /// fields, artifacts, joint group, pause state or discharged obligations that acceptance
    /// reads. So the event is checked first against the ticket as stored, and a refusal leaves it
    /// untouched without copying it.
    fn plan<'x>(&self, ticket: &Ticket, event: &'x Event) -> Result<Plan<'e, 'x>, Rejection> {
        let p = self.policy();
        let name = event.event.as_str();
        let stage = self.engine.stage(ticket);
        if let Some((key, owner)) = event.stray_key() {
            // `to` is the key a host is likeliest to echo from `next_actions`, where it names
            // the stage a transition leads to.
            let aside = if key == "to" {
                "; a transition's next stage comes from the policy, and `to` names a tier"
            } else {
                ""
            };
            return Err(Rejection::bad(format!(
                "`{name}` takes no `{key}` (only `{owner}` does); send the `{key}` as a \
                 separate `{owner}` event{aside}"
            )));
        }
        match name {
            ATTACH => {
                let Some(artifact) = event.artifact.as_deref() else {
                    return Err(Rejection::bad("`attach` needs an `artifact`"));
                };
                if !self.engine.artifacts.contains(artifact) {
                    let hint = crate::check::did_you_mean(artifact, self.engine.artifacts.iter())
                        .map(|h| format!("; did you mean `{h}`?"))
                        .unwrap_or_default();
                    return Err(Rejection::bad(format!(
                        "unknown artifact `{artifact}`: no stage requires it{hint}"
                    )));
                }
                Ok(Plan::Attach(artifact))
            }
            SET => {
                let Some(data) = event.data.as_ref().filter(|d| !d.is_empty()) else {
                    return Err(Rejection::bad("`set` needs `data` with at least one field"));
                };
                let mut checked = Vec::with_capacity(data.len());
                for (k, v) in data {
                    let value = match p.field(k) {
                        Some(f) if v.is_null() => {
                            f.default.clone().unwrap_or_else(|| neutral(&f.ty))
                        }
                        _ => self.engine.check_field(k, v)?,
                    };
                    checked.push((k.as_str(), value));
                }
                Ok(Plan::Set(checked))
            }
            MEMBER_DONE => {
                let Some(member) = event.member.as_deref() else {
                    return Err(Rejection::bad("`member_done` needs a `member`"));
                };
                let Some(group) = ticket.group.as_ref() else {
                    return Err(Rejection::bad(format!(
                        "stage `{}` has no joint group",
                        ticket.stage
                    )));
                };
                let gname = &group.name;
                if member == "lead" {
                    if group.lead_done.is_some() {
                        return Err(Rejection::bad(format!(
                            "the lead of `{gname}` already reported done"
                        )));
                    }
                } else {
                    match group.members.get(member) {
                        Some(None) => {}
                        Some(Some(_)) => {
                            return Err(Rejection::bad(format!(
                                "member `{member}` already reported done"
                            )));
                        }
                        None => {
                            let known = group.members.keys().cloned().collect::<Vec<_>>();
                            return Err(Rejection::bad(format!(
                                "`{member}` is not a member of joint group `{gname}` (members: {})",
                                known.join(", ")
                            )));
                        }
                    }
                }
                Ok(Plan::MemberDone(member))
            }
            REASSIGN => {
                let (to, assignee) = (event.to.as_deref(), event.assignee.as_deref());
                if to.is_none() && assignee.is_none() {
                    return Err(Rejection::bad(
                        "`reassign` needs `to` (a tier), `assignee` (a person) or both",
                    ));
                }
                if assignee.is_some_and(|a| a.trim().is_empty()) {
                    return Err(Rejection::bad("`assignee` is empty"));
                }
                if let Some(to) = to.filter(|to| p.tier_id(to).is_none()) {
                    let hint = crate::check::did_you_mean(to, p.tiers.iter())
                        .map(|h| format!("; did you mean `{h}`?"))
                        .unwrap_or_default();
                    return Err(Rejection::bad(format!("unknown tier `{to}`{hint}")));
                }
                Ok(Plan::Reassign { to, assignee })
            }
            _ if stage.on.iter().any(|t| t.event == name) => {
                let mut false_conditions = Vec::new();
                let mut chosen = None;
                for t in stage.on.iter().filter(|t| t.event == name) {
                    match &t.when {
                        Some(w) if !self.guard(w, &ticket.fields)? => {
                            false_conditions.push(format!("`{}` is false", w.source()));
                        }
                        _ => {
                            chosen = Some(t.to);
                            break;
                        }
                    }
                }
                let Some(to) = chosen else {
                    return Err(Rejection::GuardFalse {
                        event: name.to_string(),
                        stage: stage.name.clone(),
                        conditions: false_conditions,
                    });
                };
                let missing: Vec<String> = stage
                    .requires
                    .iter()
                    .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
                    .cloned()
                    .collect();
                if !missing.is_empty() {
                    return Err(Rejection::MissingArtifacts { stage: stage.name.clone(), missing });
                }
                if let Some(g) = &ticket.group {
                    let pending = group_pending(g, self.engine.group_completion(g));
                    if !pending.is_empty() {
                        return Err(Rejection::GroupPending { group: g.name.to_string(), pending });
                    }
                }
                Ok(Plan::Transition(to))
            }
            _ => {
                if let Some(rule) = p.pauses.iter().find(|r| r.on == name) {
                    let Some(c) = ticket.clock.as_ref() else {
                        return Err(Rejection::bad(format!(
                            "stage `{}` has no running clock to pause",
                            stage.name
                        )));
                    };
                    if c.paused.is_some() {
                        return Err(Rejection::bad(format!(
                            "the clock of `{}` is already paused",
                            stage.name
                        )));
                    }
                    return Ok(Plan::Pause(rule));
                }
                if let Some(rule) = p.pauses.iter().find(|r| r.resume_on == name) {
                    let paused = ticket.clock.as_ref().and_then(|c| c.paused.as_ref());
                    if paused.is_none_or(|pz| pz.resume_on != name) {
                        return Err(Rejection::bad(format!(
                            "the clock of `{}` is not paused",
                            stage.name
                        )));
                    }
                    return Ok(Plan::Resume(rule));
                }
                if let Some(ob) = p.obligations.iter().find(|o| o.done_on == name) {
                    let open =
                        ticket.obligations.get(ob.name.as_str()).is_some_and(|s| s.done.is_none());
                    if !open {
                        return Err(Rejection::bad(format!(
                            "obligation `{}` is not open",
                            ob.name
                        )));
                    }
                    return Ok(Plan::Discharge(ob));
                }
                let mut accepted: Vec<String> = stage.on.iter().map(|t| t.event.clone()).collect();
                accepted.dedup();
                Err(Rejection::NotAccepted {
                    event: name.to_string(),
                    stage: stage.name.clone(),
                    accepted,
                })
            }
        }
    }

    /// Carries out a planned event on a ticket that has been brought to the event's time.
    fn commit(&mut self, ticket: &mut Ticket, event: &Event, plan: Plan<'e, '_>) {
        let p = self.policy();
        let at = event.at;
        let name = event.event.as_str();
        let stage_name: &'e str = &self.engine.stage(ticket).name;
        match plan {
            Plan::Attach(artifact) => {
                ticket.artifacts.insert(Text::from(artifact), at);
                self.row(
                    at,
                    RowKind::Attached,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{artifact}"),
                );
                self.take_autos(ticket, at, 0);
            }
            Plan::Set(checked) => {
                let mut changes = Vec::with_capacity(checked.len());
                // Given: a value the opening or a `set` wrote last, null meaning none (the rules
                // decide again).
                fn note<'a>(given: &mut BTreeSet<&'a str>, data: &'a Map<String, Value>) {
                    for (k, v) in data {
                        if v.is_null() {
                            given.remove(k.as_str());
                        } else {
                            given.insert(k);
                        }
                    }
                }
                let mut given = BTreeSet::new();
                for rec in &ticket.history {
                    match &rec.entry {
                        AuditEntry::Open(o) => note(&mut given, &o.fields),
                        // Only a `set` applied its data (an older build kept stray data).
                        AuditEntry::Event(e) if e.event == SET => {
                            if let Some(d) = &e.data {
                                note(&mut given, d);
                            }
                        }
                        AuditEntry::Event(_) => {}
                    }
                }
                if let Some(d) = &event.data {
                    note(&mut given, d);
                }
                let fields = Arc::make_mut(&mut ticket.fields).map_mut();
                for (k, v) in checked {
                    changes.push(format!("{k}={}", compact(&v)));
                    fields.insert(Text::from(k), v);
                }
                let errors = self.engine.derive(fields, &|name| given.contains(name));
                self.fields_changed();
                errors.into_iter().for_each(|e| self.condition_error(e));
                self.row(
                    at,
                    RowKind::Event,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "set {}", changes.join(", ")),
                );
                self.start_obligations(ticket, at);
                self.take_autos(ticket, at, 0);
            }
            Plan::MemberDone(member) => {
                let Some(group) = ticket.group.as_mut() else { return };
                if member == "lead" {
                    group.lead_done = Some(at);
                } else if let Some(slot) = group.members.get_mut(member) {
                    *slot = Some(at);
                }
                let how = self.engine.group_completion(group);
                let done = group.members.values().filter(|d| d.is_some()).count();
                let total = group.members.len();
                let pending = group_pending(group, how);
                let gname = &group.name;
                let detail = if pending.is_empty() {
                    detail!(self, "`{member}` done ({done}/{total}); group `{gname}` complete")
                } else {
                    detail!(
                        self,
                        "`{member}` done ({done}/{total}); waiting for {}",
                        pending.join(", ")
                    )
                };
                self.row(at, RowKind::Group, Some(stage_name), ticket.tier.as_deref(), detail);
            }
            Plan::Reassign { to, assignee } => {
                let from = ticket.tier.clone().unwrap_or_default();
                if let Some(to) = to {
                    hand_over(ticket, Some(Text::from(to)));
                }
                if let Some(a) = assignee {
                    ticket.assignee = Some(Text::from(a));
                }
                let tier = ticket.tier.clone();
                let detail = match (to, assignee, tier.as_deref()) {
                    (Some(to), Some(a), _) => detail!(self, "{from} → {to} ({a}) by event"),
                    (Some(to), None, _) => detail!(self, "{from} → {to} by event"),
                    (None, Some(a), Some(t)) => detail!(self, "assigned to {a} ({t}) by event"),
                    (None, Some(a), None) => detail!(self, "assigned to {a} by event"),
                    (None, None, _) => Text::default(),
                };
                self.row(at, RowKind::Reassign, Some(stage_name), tier.as_deref(), detail);
            }
            Plan::Transition(to) => {
                let target = p.stages.get(to).map_or("?", |s| s.name.as_str());
                self.row(
                    at,
                    RowKind::Event,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{name} → {target}"),
                );
                // An event that is both a transition and an obligation's `done_on` (the bank's
                // `accepted` closes the ticket and answers the final reply) does both.
                for ob in p.obligations.iter().filter(|o| o.done_on == name) {
                    self.discharge(ticket, ob, name, at);
                }
                self.enter(ticket, to, at, 0);
            }
            Plan::Pause(rule) => {
                let Some(c) = ticket.clock.as_mut() else { return };
                let working = Self::is_working(&c.budget);
                let remaining = (self.scale(working, c.deadline) - self.scale(working, at)).max(0);
                c.paused = Some(Pause { since: at, remaining, resume_on: rule.resume_on.clone() });
                self.row(
                    at,
                    RowKind::Paused,
                    Some(stage_name),
                    ticket.tier.as_deref(),
                    detail!(self, "{name}: clock stopped, resumes on `{}`", rule.resume_on),
                );
            }
            Plan::Resume(rule) => {
                let Some(c) = ticket.clock.as_mut() else { return };
                let Some(pause) = c.paused.take() else { return };
                let working = Self::is_working(&c.budget);
                let (deadline, provisional) = match rule.resume {
                    ResumeMode::Remaining => {
                        let d = if working {
                            p.calendar
                                .at_working_clock(p.calendar.working_clock(at) + pause.remaining)
                        } else {
                            at + chrono::Duration::seconds(pause.remaining)
                        };
                        // Provisional when the new deadline lies beyond the calendar's data.
                        let beyond = d.with_timezone(&p.calendar.tz()).date_naive()
                            > p.calendar.coverage().1;
                        (d, c.provisional || beyond)
                    }
                    ResumeMode::Restart => {
                        c.started = at;
                        let d = p.calendar.add(at, c.budget);
                        c.total = if working {
                            p.calendar.working_clock(d.at) - p.calendar.working_clock(at)
                        } else {
                            (d.at - at).num_seconds()
                        };
                        c.fired = 0;
                        (d.at, d.provisional.is_some())
                    }
                };
                c.deadline = deadline;
                c.provisional = provisional;
                let paused_for = at - pause.since;
                let detail = detail!(
                    self,
                    "{name}: clock runs again after {}h{:02}m ({}) → due {}",
                    paused_for.num_hours(),
                    paused_for.num_minutes() % 60,
                    match rule.resume {
                        ResumeMode::Remaining => "remaining time kept",
                        ResumeMode::Restart => "full budget again",
                    },
                    self.human(deadline)
                );
                self.push(TimelineRow {
                    at,
                    kind: RowKind::Resumed,
                    stage: Some(Text::from(stage_name)),
                    tier: ticket.tier.as_deref().map(Text::from),
                    detail,
                    due: Some(deadline),
                    provisional,
                });
            }
            Plan::Discharge(ob) => {
                self.discharge(ticket, ob, name, at);
            }
        }
    }
}

/// What an accepted event does, decided by [`Run::plan`] before anything changes.
enum Plan<'p, 'x> {
    /// Attach an artifact the policy knows.
    Attach(&'x str),
    /// Update fields with these checked values.
    Set(Vec<(&'x str, Value)>),
    /// A joint-group member (or `lead`) reports done.
    MemberDone(&'x str),
    /// Hand the stage to a tier, name the person handling it, or both.
    Reassign { to: Option<&'x str>, assignee: Option<&'x str> },
    /// Take a transition to this stage.
    Transition(StageId),
    /// Stop the stage clock under this rule.
    Pause(&'p crate::compile::PauseRule),
    /// Restart the stage clock under this rule.
    Resume(&'p crate::compile::PauseRule),
    /// Discharge this obligation.
    Discharge(&'p crate::compile::ObligationDef),
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::Keywords;
    use crate::compile::{DeriveDef, DeriveRule};
    use proptest::prelude::*;

    fn word() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(vec!["a", "b", "危", "B"]), 0..4)
            .prop_map(|parts| parts.concat())
    }

    proptest! {
        /// One pass over the text finds, for every rule, the same keyword as searching for each
        /// keyword in turn: the first in the rule's list that the text contains.
        #[test]
        fn one_pass_finds_the_first_keyword_of_each_rule(
            rules in prop::collection::vec(prop::collection::vec(word(), 0..4), 1..5),
            text in word(),
        ) {
            let def = DeriveDef {
                name: "x".into(),
                rules: rules
                    .iter()
                    .map(|k| DeriveRule { value: serde_json::Value::Null, keywords: k.clone(), when: None })
                    .collect(),
            };
            let text = text.to_lowercase();
            let expected: Vec<Option<usize>> = rules
                .iter()
                .map(|ks| ks.iter().position(|k| text.contains(k.to_lowercase().as_str())))
                .collect();
            prop_assert_eq!(Keywords::new(&def).hits(&text), expected);
        }
    }
}
