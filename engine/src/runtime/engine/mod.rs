//! The engine: open tickets, apply events, advance clocks. Pure: time comes in, nothing is read
//! from the clock, the disk or the network.

/// A row's detail text, built only when the engine keeps row text
/// (see [`Engine::without_row_text`]).
macro_rules! detail {
    ($run:expr, $($arg:tt)*) => {
        if $run.engine.text {
            crate::runtime::Text::from_args(format_args!($($arg)*))
        } else {
            crate::runtime::Text::default()
        }
    };
}

mod clock;
mod derive;
mod explain;
mod extend;
mod fields;
mod history;
mod migrate;
mod next_actions;
mod plan;
mod range;
mod recalendar;
mod run;
mod stage;

pub(crate) use clock::{scale, step_instant};
use derive::Keywords;
use fields::neutral;
use run::Run;

use super::actions::Outcome;
use super::digest::{Digest, record_hash_with, state_digest};
use super::error::Rejection;
use super::event::{Event, EventKind, OpenTicket, RecordedEvent};
use super::timeline::{RowKind, Text, TimelineRow};
use super::{
    AuditEntry, AuditRecord, ExtensionRecord, FieldMap, GroupState, NameMap, OpenRecord, PolicyPin,
    TICKET_FORMAT, Ticket, TicketStats,
};
use crate::compile::{CompiledPolicy, Completion, StageDef};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

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
/// assert_eq!(ticket.stage(), "intake");
/// assert_eq!(ticket.fields()["category"], "fees"); // derived from the text
///
/// let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>();
/// engine.apply(&mut ticket, &Event::named("registered", at("2026-02-13T17:50:00+08:00")?))?;
/// let report = Event::attach("investigation_report", at("2026-02-14T10:00:00+08:00")?);
/// engine.apply(&mut ticket, &report)?;
/// let filed = Event::named("report_filed", at("2026-02-14T10:05:00+08:00")?);
/// let outcome = engine.apply(&mut ticket, &filed)?;
/// // Sat 14 Feb is a make-up working day; 15–23 Feb are the holiday; so the third working day
/// // is Thu 26 Feb, and the deadline is its end.
/// assert_eq!(ticket.clock().unwrap().deadline, at("2026-02-27T00:00:00+08:00")?);
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
    /// What keyword search reads of a ticket's fields, and the stemmer it reduces words with.
    reading: derive::Reading,
    /// Every name a ticket's fields hold, in name order: each declared field with its default
    /// (the type's neutral value when it has none), and each computed field that is not
    /// declared, with null until `derive` sets it.
    layout: Vec<(Text, Value)>,
    /// Per ladder, whether its steps always fall in the order listed
    /// ([`crate::check::ladder::always_in_order`]).
    ladders_in_order: Vec<bool>,
    /// How far the policy's clocks reach: which calls could pass the last instant kept.
    horizon: range::Horizon,
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
/// let deadline = |t: &Ticket| t.clock().unwrap().deadline.to_rfc3339();
/// assert_eq!(deadline(&kept), "2026-03-02T13:00:00+00:00");
/// assert_eq!(deadline(&recomputed), "2026-03-02T11:00:00+00:00");
/// assert_eq!(recomputed.policy().version, "2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Migration {
    /// Keep the current stage, clocks and deadlines; only re-pin (fields re-checked).
    KeepDeadlines,
    /// Re-run the ticket's recorded history under the new policy and recompute everything.
    Recompute,
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
        let extensions = policy.stages.iter().flat_map(|s| &s.extensions);
        let extensions = extensions.chain(policy.obligations.iter().flat_map(|o| &o.extensions));
        let artifacts = policy.stages.iter().flat_map(|s| s.requires.iter().cloned());
        let artifacts = artifacts.chain(extensions.flat_map(|e| e.requires.iter().cloned()));
        let artifacts = artifacts.collect();
        let keywords: Vec<Keywords> =
            policy.derived.iter().map(|d| Keywords::new(d, &policy.fields)).collect();
        let reading = derive::Reading::of(&keywords, &policy.fields);
        let mut layout: Vec<(Text, Value)> = policy
            .fields
            .iter()
            .map(|f| (Text::from(&f.name), f.default.clone().unwrap_or_else(|| neutral(&f.ty))))
            .collect();
        for d in policy.derived.iter().filter(|d| policy.field(&d.name).is_none()) {
            layout.push((Text::from(&d.name), Value::Null));
        }
        layout.sort_by(|a, b| a.0.cmp(&b.0));
        layout.dedup_by(|a, b| a.0 == b.0);
        let ladders_in_order = policy
            .ladders
            .iter()
            .map(|l| crate::check::ladder::always_in_order(&l.steps))
            .collect();
        let horizon = range::Horizon::of(&policy);
        Engine {
            policy,
            pin,
            artifacts,
            keywords,
            reading,
            layout,
            ladders_in_order,
            horizon,
            seal: true,
            text: true,
            history: true,
        }
    }

    /// The same engine, but audit records are not sealed: every applied event is still recorded
    /// in `history`, with empty `state` and `hash`, and `audit_head` stays empty. Everything else
    /// (stages, clocks, timelines, outcomes) is identical. For replays and simulations that only
    /// need figures: it saves the state digest (serialising the ticket and hashing it) on every
    /// event. Tickets it produces have no audit chain and fail verification: never store them.
    ///
    /// ```
    /// # use ombud_engine::runtime::{Engine, OpenTicket};
    /// # let engine = ombud_engine::doc_support::reference();
    /// let fast = engine.clone().without_audit_hashes();
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let ((sealed, _), (unsealed, _)) = (engine.open(&input)?, fast.open(&input)?);
    /// assert_eq!((sealed.history().len(), unsealed.history().len()), (1, 1));
    /// assert!(!sealed.audit_head().is_empty() && unsealed.audit_head().is_empty());
    /// assert_eq!(sealed.stage(), unsealed.stage());
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
    /// # let engine = ombud_engine::doc_support::reference();
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
    /// # let engine = ombud_engine::doc_support::reference();
    /// let lean = engine.without_history();
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let (mut ticket, _) = lean.open(&input)?;
    /// lean.apply(&mut ticket, &Event::named("registered", "2026-02-13T09:50:00Z".parse()?))?;
    /// assert_eq!((ticket.stage(), ticket.history().len()), ("verify", 1));
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
    /// # let engine = ombud_engine::doc_support::reference();
    /// let policy = engine.policy();
    /// assert_eq!((policy.id(), policy.tiers().len()), ("service-complaints", 4));
    /// ```
    pub fn policy(&self) -> &Arc<CompiledPolicy> {
        &self.policy
    }

    /// The pin tickets opened by this engine carry.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::reference();
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"T-1","at":"2026-02-13T17:30:00+08:00"}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// assert_eq!(ticket.policy(), engine.pin());
    /// assert_eq!(engine.pin().version, "2026.2");
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
    /// # let engine = ombud_engine::doc_support::desk();
    /// // `desk`: one stage, `open`, owned by `agent`, due in 4 h; flag at 50 %, escalate at 100 %.
    /// let input: OpenTicket =
    ///     serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, outcome) = engine.open(&input)?;
    /// assert_eq!((ticket.stage(), ticket.tier()), ("open", Some("agent")));
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
        // so the first error is the same whatever the policy's declaration order. Every name a
        // check accepts is in the layout, so merging the two in name order gives the map in
        // order: a given value where there is one, the layout's otherwise (a condition reads a
        // computed field's null as it reads a missing name).
        let given = |name: &str| input.fields.get(name).is_some_and(|v| !v.is_null());
        let mut checked = Vec::with_capacity(input.fields.len());
        for (name, value) in input.fields.iter().filter(|(_, v)| !v.is_null()) {
            checked.push((name.as_str(), self.check_field(name, value)?));
        }
        // A required field not given, the first by name.
        let missing = self.policy.fields.iter().filter(|f| f.required && !given(&f.name));
        if let Some(f) = missing.min_by(|a, b| a.name.cmp(&b.name)) {
            return Err(Rejection::MissingField { field: f.name.clone() });
        }
        let mut checked = checked.into_iter().peekable();
        let entries = self.layout.iter().map(|(name, default)| {
            match checked.next_if(|(k, _)| *k == name.as_str()) {
                Some((_, value)) => (name.clone(), value),
                None => (name.clone(), default.clone()),
            }
        });
        let mut fields = FieldMap::from_vec(entries.collect());
        // INVARIANT: every name `check_field` accepts is a declared or a computed field, so it
        // is in the layout and the merge used every checked value.
        debug_assert!(checked.next().is_none(), "a checked field outside the layout");
        let derive_errors = self.derive(&mut fields, "", &given);
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
        if let Some(refusal) = run.range_refusal() {
            return Err(refusal);
        }
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
        append_audit(&mut ticket, entry, None, self.seal);
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
    /// # let engine = ombud_engine::doc_support::desk();
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
        self.admit(ticket, event.at)?;
        let mut run = Run::new(self);
        let plan = run.plan(ticket, event)?;
        // Only a call that could pass the last instant kept needs the ticket to put back.
        let before = self.horizon.at_risk(ticket, event.at).then(|| ticket.clone());
        run.fire_due(ticket, event.at);
        ticket.clock_at = event.at;
        let extension = match &plan {
            plan::Plan::Extend(x) => Some(run.extension_record(ticket, x)),
            _ => None,
        };
        run.commit(ticket, event, plan);
        // What the event started (a stage's early steps, a clock run out on entry) falls due now.
        let wakeup = run.fire_due(ticket, event.at);
        ticket.last_event_at = event.at;
        if let Some(refusal) = run.range_refusal() {
            if let Some(before) = before {
                *ticket = before;
            }
            return Err(refusal);
        }
        if self.history || matches!(event.kind, EventKind::Set { .. }) {
            let entry = AuditEntry::Event(Box::new(event.record()));
            append_audit(ticket, entry, extension, self.seal);
        }
        Ok(run.finish_with(wakeup))
    }

    /// Applies an event in the flat form JSON carries it ([`RecordedEvent`]: a request body, a
    /// ledger line's `event`), as [`apply`](Self::apply) does. A record whose keys belong to
    /// different kinds of event (`assignee` on a transition) cannot become an [`Event`]: it is
    /// refused as `bad_event`, after the refusals that concern the ticket itself (another
    /// policy, closed, out of order), as `apply` orders them. The ticket is unchanged when
    /// refused.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (mut ticket, _) = engine.open(&input)?;
    /// let stray: RecordedEvent = serde_json::from_str(
    ///     r#"{"at":"2026-03-02T10:00:00Z","event":"done","assignee":"li.wei"}"#)?;
    /// assert_eq!(engine.apply_recorded(&mut ticket, &stray).unwrap_err().code(), "bad_event");
    /// let early: RecordedEvent = serde_json::from_str(
    ///     r#"{"at":"2026-03-02T08:00:00Z","event":"done","assignee":"li.wei"}"#)?;
    /// assert_eq!(engine.apply_recorded(&mut ticket, &early).unwrap_err().code(), "out_of_order");
    /// let done: RecordedEvent = serde_json::from_str(r#"{"at":"2026-03-02T10:00:00Z","event":"done"}"#)?;
    /// engine.apply_recorded(&mut ticket, &done)?;
    /// assert!(ticket.is_closed());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_recorded(
        &self,
        ticket: &mut Ticket,
        event: &RecordedEvent,
    ) -> Result<Outcome, Rejection> {
        self.apply_read(ticket, event.at, &Event::try_from(event.clone()))
    }

    /// Brings `ticket` to `now`: fires every ladder step, breach and obligation deadline due at or
    /// before `now`. Calling it with an earlier `now` than the ticket has seen, or on a closed
    /// ticket, changes nothing.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (mut ticket, _) = engine.open(&input)?;
    /// let outcome = engine.advance(&mut ticket, "2026-03-02T13:00:00Z".parse()?)?;
    /// let actions: Vec<_> = outcome.actions.iter().map(|a| (a.kind, a.tier.as_deref())).collect();
    /// assert_eq!(actions, [
    ///     (ActionKind::Flag, Some("agent")),      // 11:00, 50 %
    ///     (ActionKind::Breach, Some("agent")),    // 13:00, the deadline
    ///     (ActionKind::Escalate, Some("lead")),   // 13:00, 100 %
    /// ]);
    /// assert_eq!((ticket.tier(), outcome.next_wakeup), (Some("lead"), None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance(&self, ticket: &mut Ticket, now: DateTime<Utc>) -> Result<Outcome, Rejection> {
        self.check_pin(ticket)?;
        let mut run = Run::new(self);
        if now >= ticket.clock_at && !ticket.is_closed() {
            let before = self.horizon.at_risk(ticket, now).then(|| ticket.clone());
            let wakeup = run.fire_due(ticket, now);
            if let Some(refusal) = run.range_refusal() {
                if let Some(before) = before {
                    *ticket = before;
                }
                return Err(refusal);
            }
            ticket.clock_at = now;
            return Ok(run.finish_with(wakeup));
        }
        let wakeup = self.wakeup(ticket)?;
        Ok(run.finish_with(wakeup))
    }

    /// The earliest instant at which [`Engine::advance`] would change `ticket`: the same instant
    /// as the `next_wakeup` of the call that produced the ticket, for a host that stored the
    /// ticket and not the outcome.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, opened) = engine.open(&input)?;
    /// assert_eq!(engine.next_wakeup(&ticket)?, opened.next_wakeup);
    /// assert_eq!(engine.next_wakeup(&ticket)?, Some("2026-03-02T11:00:00Z".parse()?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The ticket is pinned to another policy (`policy_mismatch`) or stands in a stage the
    /// policy does not have (`unknown_stage`).
    pub fn next_wakeup(&self, ticket: &Ticket) -> Result<Option<DateTime<Utc>>, Rejection> {
        self.check_pin(ticket)?;
        self.wakeup(ticket)
    }

    /// [`Engine::next_wakeup`] of a ticket already checked: refused when a ladder step of it
    /// lies after the last instant the engine keeps.
    fn wakeup(&self, ticket: &Ticket) -> Result<Option<DateTime<Utc>>, Rejection> {
        let run = Run::new(self);
        let wakeup = run.earliest_due(ticket).map(|(t, _)| t);
        run.range_refusal().map_or(Ok(wakeup), Err)
    }

    /// Whether `name` is both computed and declared: a value given for it wins over the rules.
    fn derived_and_declared(&self, name: &str) -> bool {
        self.policy.derived.iter().any(|d| d.name == name) && self.policy.field(name).is_some()
    }

    /// Applies an event as it was read (at `at`): one refused as it was read (a key that belongs
    /// to another event) meets the refusals of the ticket first (another policy, closed, out of
    /// order), in the order [`Engine::apply`] checks them.
    pub(crate) fn apply_read(
        &self,
        ticket: &mut Ticket,
        at: DateTime<Utc>,
        event: &Result<Event, Rejection>,
    ) -> Result<Outcome, Rejection> {
        match event {
            Ok(event) => self.apply(ticket, event),
            Err(refused) => self.admit(ticket, at).and(Err(refused.clone())),
        }
    }

    /// Whether `ticket` takes an event at `at` at all: pinned to this engine's policy, not
    /// closed, and `at` not before its clock. The first refusal an event meets, before what the
    /// event is matters.
    pub(crate) fn admit(&self, ticket: &Ticket, at: DateTime<Utc>) -> Result<(), Rejection> {
        self.check_pin(ticket)?;
        if ticket.is_closed() {
            return Err(Rejection::Closed { ticket: ticket.id.to_string() });
        }
        if at < ticket.clock_at {
            return Err(Rejection::OutOfOrder {
                at,
                clock_at: ticket.clock_at,
                zone: self.policy.calendar.tz(),
            });
        }
        Ok(())
    }

    /// Whether `ticket` is this engine's to run: pinned to its policy, and at one of the
    /// policy's stages (which every ticket the engine wrote is; see [`Engine::stage`]).
    fn check_pin(&self, ticket: &Ticket) -> Result<(), Rejection> {
        if ticket.policy.same_allocation(&self.pin) || ticket.policy == self.pin {
            if self.policy.stage_id(&ticket.stage).is_none() {
                return Err(Rejection::UnknownStage {
                    ticket: ticket.id.to_string(),
                    stage: ticket.stage.to_string(),
                });
            }
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

    /// The stage `ticket` stands in.
    #[expect(clippy::expect_used, reason = "the invariant below")]
    fn stage(&self, ticket: &Ticket) -> &StageDef {
        // INVARIANT: the engine enters only the policy's own stages, and every entry point that
        // takes a ticket from the host (`apply`, `advance`, `next_actions`, `next_wakeup`,
        // `migrate`) first checks that its stage is one (`check_pin`, or migrate's own check).
        let id = self.policy.stage_id(&ticket.stage).expect("a ticket's stage is its policy's");
        self.policy.stage(id)
    }

    fn group_completion(&self, g: &GroupState) -> Completion {
        self.policy.groups.iter().find(|d| d.name == g.name).map_or(Completion::All, |d| d.complete)
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
/// # let engine = ombud_engine::doc_support::desk();
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
    rejected_row_for(ticket, event.at, event.name(), err)
}

/// [`rejected_row`] for the event named `name` at `at` (one refused as it was read, say).
pub(crate) fn rejected_row_for(
    ticket: &Ticket,
    at: DateTime<Utc>,
    name: &str,
    err: &Rejection,
) -> TimelineRow {
    TimelineRow {
        at,
        kind: RowKind::Rejected,
        stage: Some(ticket.stage.clone()),
        tier: ticket.tier.as_deref().map(Text::from),
        detail: Text::from(format!("{name} [{}]: {err}", err.code())),
        due: None,
        previous_due: None,
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

fn append_audit(
    ticket: &mut Ticket,
    entry: AuditEntry,
    extension: Option<ExtensionRecord>,
    seal: bool,
) {
    let seq = ticket.history.len() as u64;
    if !seal {
        let (state, hash) = (Digest::default(), Digest::default());
        ticket.history.push(AuditRecord { seq, entry, extension, state, hash });
        return;
    }
    // The digest covers neither `history` nor `audit_head`, so neither needs moving out first.
    let state = state_digest(ticket);
    let hash = record_hash_with(&ticket.audit_head, &entry, extension.as_ref(), &state);
    ticket.audit_head = hash.clone();
    ticket.history.push(AuditRecord { seq, entry, extension, state, hash });
}
