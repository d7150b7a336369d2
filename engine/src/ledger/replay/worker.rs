//! A worker: the tickets of its partition, each run under every policy, and what their
//! outcomes add to the figures.

use super::figures::Accumulator;
use super::{
    MAX_LISTED_ERRORS, NOT_OPENED, ReplayOptions, TicketChange, TicketOutcome, TicketRecord, Visit,
};
use crate::ledger::calendars::not_given;
use crate::ledger::format::LedgerLine;
use crate::ledger::reader::parse_line;
use crate::ledger::report::ReportOptions;
use crate::ledger::tally::Tally;
use crate::ledger::{LineError, OnError};
use crate::runtime::{
    Engine, Event, Outcome, Rejection, RowKind, Text, Ticket, TimelineRow, rejected_row_for,
};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

/// Applies `f` to the entry for `key`, created empty when missing; the key is copied only then.
pub(super) fn update<V: Default>(map: &mut BTreeMap<String, V>, key: &str, f: impl FnOnce(&mut V)) {
    match map.get_mut(key) {
        Some(v) => f(v),
        None => {
            let mut v = V::default();
            f(&mut v);
            map.insert(key.to_string(), v);
        }
    }
}

/// What a finished ticket keeps: bit i is set when policy i opened it (later events are refused
/// as `closed`) and clear when it refused the opening (`not_opened`). One byte per finished
/// ticket, since a ledger accumulates them all.
pub(super) fn done_codes(live: &Live<'_>) -> u8 {
    live.runs
        .iter()
        .take(8)
        .enumerate()
        .fold(0, |m, (i, run)| m | (u8::from(run.ticket.is_some()) << i))
}

/// The code a later event of a finished ticket is refused with under policy `i`.
pub(super) fn done_code(mask: u8, i: usize) -> &'static str {
    if i < 8 && mask & (1 << i) != 0 { "closed" } else { NOT_OPENED }
}

/// How the ticket maps hash ids: foldhash, seeded per process (so a crafted ledger cannot
/// aim at collisions) and several times faster than the standard SipHash on short ids.
pub(super) type Ids = foldhash::fast::RandomState;

pub(super) struct Live<'e> {
    line: u64,
    complainant: Option<String>,
    category_given: bool,
    /// One run per policy.
    runs: Vec<PolicyRun<'e>>,
    /// Boxed: only `--against` sets it, and a batch holds one `Live` per running ticket.
    first_difference: Option<Box<(Option<TimelineRow>, Option<TimelineRow>)>>,
}

/// One ticket under one policy.
pub(super) struct PolicyRun<'e> {
    ticket: Option<Ticket>,
    /// The policy on the calendar update the ticket was last brought onto (`None`: the policy
    /// as given).
    on: Option<&'e Engine>,
    rejected: u32,
    escalations: Vec<Text>,
    visits: Vec<Visit>,
    paused_since: Option<DateTime<Utc>>,
    /// Rows of the current line (only kept when comparing).
    call_rows: Vec<TimelineRow>,
}

impl<'e> PolicyRun<'e> {
    pub(super) fn is_done(&self) -> bool {
        self.ticket.as_ref().is_none_or(Ticket::is_closed)
    }

    /// The engine the ticket runs on: `given` (the policy as the replay was given it), or the
    /// policy on the calendar update it was brought onto.
    fn engine(&self, given: &'e Engine) -> &'e Engine {
        self.on.unwrap_or(given)
    }
}

pub(super) struct Worker<'e> {
    pub(super) engines: &'e [Engine],
    pub(super) options: &'e ReplayOptions<'e>,
    pub(super) first_error: &'e AtomicU64,
    /// Tickets still running under some policy. Kept apart from the finished ones, which
    /// accumulate over a whole ledger, so the lookup every event line makes stays in a small map.
    pub(super) live: HashMap<Text, Box<Live<'e>>, Ids>,
    /// Finished tickets: the code a later event is refused with, per policy.
    pub(super) done: HashMap<Text, u8, Ids>,
    pub(super) acc: Vec<Accumulator>,
    pub(super) records: Vec<TicketRecord>,
    pub(super) changes: Vec<TicketChange>,
    pub(super) errors: Vec<LineError>,
    pub(super) skipped: u64,
    pub(super) last_at: Option<DateTime<Utc>>,
    /// With a report: the report's figures, each finished ticket folded in and not kept.
    pub(super) tally: Option<Tally<'e>>,
    /// The most tickets held in `live` at once.
    pub(super) held_most: usize,
}

pub(super) struct WorkerOutput<'e> {
    pub(super) acc: Vec<Accumulator>,
    pub(super) records: Vec<TicketRecord>,
    pub(super) changes: Vec<TicketChange>,
    pub(super) errors: Vec<LineError>,
    pub(super) skipped: u64,
    pub(super) tally: Option<Tally<'e>>,
    pub(super) held_most: usize,
}

impl<'e> Worker<'e> {
    pub(super) fn new(
        engines: &'e [Engine],
        options: &'e ReplayOptions<'e>,
        first_error: &'e AtomicU64,
        report: Option<&'e ReportOptions>,
    ) -> Self {
        let tally = report.and_then(|r| engines.first().map(|e| Tally::new(e.policy(), r)));
        Worker {
            engines,
            options,
            first_error,
            live: HashMap::default(),
            done: HashMap::default(),
            acc: engines.iter().map(|_| Accumulator::default()).collect(),
            records: Vec::new(),
            changes: Vec::new(),
            errors: Vec::new(),
            skipped: 0,
            last_at: None,
            tally,
            held_most: 0,
        }
    }

    pub(super) fn comparing(&self) -> bool {
        self.engines.len() > 1
    }

    pub(super) fn error(&mut self, e: LineError) {
        self.skipped += 1;
        if self.options.on_error == OnError::Fail {
            self.first_error.fetch_min(e.line, Ordering::Relaxed);
        }
        // Keep the earliest lines: errors arrive in line order within a worker.
        if self.errors.len() < MAX_LISTED_ERRORS {
            self.errors.push(e);
        }
    }

    pub(super) fn line(&mut self, number: u64, text: &str) {
        if number > self.first_error.load(Ordering::Relaxed) {
            return;
        }
        match parse_line(number, text) {
            Ok(line) => self.apply_line(number, line),
            Err(e) => self.error(e),
        }
    }

    pub(super) fn apply_line(&mut self, number: u64, line: LedgerLine) {
        let LedgerLine { ticket: id, open, event, calendar } = line;
        if let Some(open) = open {
            if self.live.contains_key(&id) || self.done.contains_key(&id) {
                let message = format!("ticket `{id}` is opened a second time");
                return self.error(LineError { line: number, message });
            }
            let on = match open.calendar.as_deref().map(|c| self.calendar(c, number)) {
                None => None,
                Some(Some(engines)) => Some(engines),
                Some(None) => return,
            };
            self.note_time(open.at);
            let complainant = open.complainant().map(str::to_string);
            let category_given = open.fields.get("category").is_some_and(|v| !v.is_null());
            let input = open.into_open_ticket(&id);
            let engines = on.unwrap_or(self.engines);
            let runs = engines
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let mut run = self.open_run(i, e, &input);
                    run.on = on.map(|_| e);
                    run
                })
                .collect();
            let mut live = Box::new(Live {
                line: number,
                complainant,
                category_given,
                runs,
                first_difference: None,
            });
            self.compare_call(&mut live, number);
            self.settle(id, live);
        } else {
            let step = if let Some(rec) = event {
                let (at, name) = (rec.at, rec.event.clone());
                Step::Event { at, name, event: Event::try_from(rec) }
            } else if let Some(update) = calendar {
                let Some(engines) = self.calendar(&update.id, number) else { return };
                Step::Calendar { at: update.at, engines }
            } else {
                return;
            };
            self.note_time(step.at());
            // One lookup per line: the map is taken out while the ticket is worked on.
            let mut live_map = std::mem::take(&mut self.live);
            if let Some(live) = live_map.get_mut(&id) {
                match &step {
                    Step::Event { at, name, event } => self.apply_event(live, *at, name, event),
                    Step::Calendar { at, engines } => self.apply_calendar(live, *at, engines),
                }
                self.compare_call(live, number);
                if live.runs.iter().all(PolicyRun::is_done)
                    && let Some((id, live)) = live_map.remove_entry(&id)
                {
                    let codes = done_codes(&live);
                    self.finish_ticket(&id, *live);
                    self.done.insert(id, codes);
                }
            } else if let Some(&mask) = self.done.get(&id) {
                for (i, code) in (0..self.engines.len()).map(|i| (i, done_code(mask, i))) {
                    if let Some(acc) = self.acc.get_mut(i) {
                        acc.f.rejected += 1;
                        *acc.f.rejected_by_code.entry(code.to_string()).or_default() += 1;
                    }
                }
            } else {
                let what = match step {
                    Step::Event { .. } => "event",
                    Step::Calendar { .. } => "calendar update",
                };
                let message = format!("{what} for ticket `{id}` before its `open` line");
                self.error(LineError { line: number, message });
            }
            self.live = live_map;
        }
    }

    /// Every policy on calendar update `id`; `None` (and the line counted malformed) when the
    /// replay is not given it.
    fn calendar(&mut self, id: &str, number: u64) -> Option<&'e [Engine]> {
        // One engine per policy of the replay, in its order.
        let found = self
            .options
            .calendars
            .and_then(|c| c.on(id))
            .filter(|on| on.len() >= self.engines.len());
        if found.is_none() {
            self.error(LineError { line: number, message: not_given(id) });
        }
        found
    }

    pub(super) fn note_time(&mut self, at: DateTime<Utc>) {
        if self.last_at.is_none_or(|l| at > l) {
            self.last_at = Some(at);
        }
    }

    pub(super) fn reject(&mut self, policy: usize, run: &mut PolicyRun, code: &str) {
        run.rejected += 1;
        if let Some(acc) = self.acc.get_mut(policy) {
            acc.f.rejected += 1;
            *acc.f.rejected_by_code.entry(code.to_string()).or_default() += 1;
        }
    }

    /// Opens the ticket under policy `i`, counting what the opening produced.
    pub(super) fn open_run(
        &mut self,
        i: usize,
        engine: &Engine,
        input: &crate::runtime::OpenTicket,
    ) -> PolicyRun<'e> {
        let comparing = self.comparing();
        let mut run = PolicyRun {
            ticket: None,
            on: None,
            rejected: 0,
            escalations: Vec::new(),
            visits: Vec::new(),
            paused_since: None,
            call_rows: Vec::new(),
        };
        match engine.open(input) {
            Ok((ticket, outcome)) => {
                run.ticket = Some(ticket);
                let mut acc = self.acc.get_mut(i);
                if let Some(acc) = acc.as_deref_mut() {
                    acc.f.applied += 1;
                }
                observe(engine, &mut run, acc, outcome, comparing);
            }
            Err(err) => {
                self.reject(i, &mut run, err.code());
                if comparing {
                    run.call_rows.push(refused_row(input.at, "open", &err));
                }
            }
        }
        run
    }

    /// Applies an event line (at `at`, named `name`), or its refusal as it was read, under every
    /// policy.
    pub(super) fn apply_event(
        &mut self,
        live: &mut Live<'e>,
        at: DateTime<Utc>,
        name: &str,
        event: &Result<Event, Rejection>,
    ) {
        let comparing = self.comparing();
        let engines = self.engines;
        for (i, given) in engines.iter().enumerate() {
            let Some(run) = live.runs.get_mut(i) else { continue };
            let engine = run.engine(given);
            let Some(ticket) = run.ticket.as_mut() else {
                let err =
                    Rejection::BadEvent { message: "the ticket's opening was refused".into() };
                if comparing {
                    run.call_rows.push(refused_row(at, name, &err));
                }
                run.rejected += 1;
                if let Some(acc) = self.acc.get_mut(i) {
                    acc.f.rejected += 1;
                    *acc.f.rejected_by_code.entry(NOT_OPENED.to_string()).or_default() += 1;
                }
                continue;
            };
            match engine.apply_read(ticket, at, event) {
                Ok(outcome) => {
                    let mut acc = self.acc.get_mut(i);
                    if let Some(acc) = acc.as_deref_mut() {
                        acc.f.applied += 1;
                    }
                    observe(engine, run, acc, outcome, comparing);
                }
                Err(err) => {
                    // Time reached the event even though it was refused: what fell due before it
                    // comes first, as a host's timers would have fired it.
                    if let Ok(outcome) = engine.advance(ticket, at) {
                        observe(engine, run, self.acc.get_mut(i), outcome, comparing);
                    }
                    let Some(ticket) = run.ticket.as_ref() else { continue };
                    if comparing {
                        run.call_rows.push(rejected_row_for(ticket, at, name, &err));
                    }
                    run.rejected += 1;
                    if let Some(acc) = self.acc.get_mut(i) {
                        acc.f.rejected += 1;
                        *acc.f.rejected_by_code.entry(err.code().to_string()).or_default() += 1;
                    }
                }
            }
        }
    }

    /// Applies a calendar line (at `at`, onto the update whose policies are `targets`) under
    /// every policy: [`Engine::recalendar`] from the calendar the ticket ran on; from then on the
    /// ticket runs on the update. Counted as an event line is: applied, or refused under its
    /// code (the ticket left as it was, on the calendar it ran on).
    fn apply_calendar(&mut self, live: &mut Live<'e>, at: DateTime<Utc>, targets: &'e [Engine]) {
        let comparing = self.comparing();
        for (i, target) in targets.iter().enumerate() {
            let Some(run) = live.runs.get_mut(i) else { continue };
            let Some(given) = self.engines.get(i) else { continue };
            let previous = run.engine(given);
            let Some(ticket) = run.ticket.as_mut() else {
                let err =
                    Rejection::BadEvent { message: "the ticket's opening was refused".into() };
                if comparing {
                    run.call_rows.push(refused_row(at, "calendar", &err));
                }
                self.reject(i, run, NOT_OPENED);
                continue;
            };
            match target.recalendar(ticket, previous.policy().calendar(), at) {
                Ok((outcome, _)) => {
                    run.on = Some(target);
                    let mut acc = self.acc.get_mut(i);
                    if let Some(acc) = acc.as_deref_mut() {
                        acc.f.applied += 1;
                    }
                    observe(target, run, acc, outcome, comparing);
                }
                Err(err) => {
                    if comparing {
                        run.call_rows.push(rejected_row_for(ticket, at, "calendar", &err));
                    }
                    self.reject(i, run, err.code());
                }
            }
        }
    }

    /// With two policies: compares the rows the last line produced, remembering the first
    /// difference.
    pub(super) fn compare_call(&self, live: &mut Live<'e>, _line: u64) {
        if !self.comparing() {
            return;
        }
        let (a, b) = match &mut live.runs[..] {
            [a, b, ..] => (a, b),
            _ => return,
        };
        if live.first_difference.is_none() {
            let n = a.call_rows.len().max(b.call_rows.len());
            for k in 0..n {
                let (ra, rb) = (a.call_rows.get(k), b.call_rows.get(k));
                if ra != rb {
                    live.first_difference = Some(Box::new((ra.cloned(), rb.cloned())));
                    break;
                }
            }
        }
        a.call_rows.clear();
        b.call_rows.clear();
    }

    /// Puts the ticket back, or finishes it when it is done under every policy.
    pub(super) fn settle(&mut self, id: Text, live: Box<Live<'e>>) {
        if live.runs.iter().all(PolicyRun::is_done) {
            let codes = done_codes(&live);
            self.finish_ticket(&id, *live);
            self.done.insert(id, codes);
        } else {
            self.live.insert(id, live);
            self.held_most = self.held_most.max(self.live.len());
        }
    }

    pub(super) fn finish_ticket(&mut self, id: &str, mut live: Live<'e>) {
        for (i, run) in live.runs.iter_mut().enumerate() {
            let Some(acc) = self.acc.get_mut(i) else { continue };
            let Some(ticket) = run.ticket.as_ref() else { continue };
            // A visit still running at the end: close the books on it as it stands.
            acc.f.tickets += 1;
            if ticket.is_closed() {
                acc.f.closed += 1;
            }
            for m in &ticket.marks {
                update(&mut acc.f.marks, &m.tier, |by_mark| update(by_mark, &m.mark, |n| *n += 1));
            }
            for v in run.visits.iter().filter(|v| v.deadline) {
                update(&mut acc.stages, &v.stage, |s| {
                    s.visits += 1;
                    if v.breached {
                        s.late += 1;
                    } else if v.left.is_some() {
                        s.on_time += 1;
                    } else {
                        s.running += 1;
                    }
                });
            }
        }
        if self.comparing()
            && let [a, b, ..] = &live.runs[..]
        {
            let (before, after) = (outcome_of(a), outcome_of(b));
            if before != after {
                self.changes.push(TicketChange {
                    ticket: id.to_string(),
                    line: live.line,
                    before,
                    after,
                    first_difference: live.first_difference.take().map(|b| *b),
                });
            }
        }
        if (self.options.keep_tickets || self.tally.is_some())
            && let Some(run) = live.runs.first_mut()
            && let Some(ticket) = run.ticket.take()
            && let Some(engine) = self.engines.first()
        {
            let keyword = engine
                .matching_rule("category", &ticket.fields, live.category_given)
                .and_then(|(_, k)| k);
            // Working time on the calendar the ticket is on: a `calendar` line may have brought
            // it onto an update, which counts the days the policy's calendar has no data for.
            let cal = run.engine(engine).policy().calendar();
            let working = |from: DateTime<Utc>, to: DateTime<Utc>, paused: i64| {
                (cal.working_clock(to) - cal.working_clock(from) - paused).max(0)
            };
            let mut visits = std::mem::take(&mut run.visits);
            for v in &mut visits {
                v.working = v.left.map(|left| working(v.entered, left, v.paused_working));
            }
            let paused: i64 = visits.iter().map(|v| v.paused_working).sum();
            let record = TicketRecord {
                id: id.to_string(),
                line: live.line,
                opened_at: ticket.opened_at,
                complainant: live.complainant.take(),
                keyword,
                category_given: live.category_given,
                closed_at: ticket.closed_at,
                working: ticket.closed_at.map(|closed| working(ticket.opened_at, closed, paused)),
                breaches: ticket.stats.breaches,
                escalations: std::mem::take(&mut run.escalations),
                marks: ticket.marks,
                visits,
                fields: std::sync::Arc::unwrap_or_clone(ticket.fields).into_map(),
            };
            match self.tally.as_mut() {
                Some(tally) => tally.add(&record),
                None => self.records.push(record),
            }
        }
    }

    /// Advances every open ticket to `end` and hands over what was gathered.
    pub(super) fn finish(mut self, end: Option<DateTime<Utc>>) -> WorkerOutput<'e> {
        let comparing = self.comparing();
        let mut live: Vec<(Text, Box<Live<'e>>)> = self.live.drain().collect();
        live.sort_by_key(|(_, l)| l.line);
        for (id, mut l) in live {
            if let Some(end) = end {
                let runs = self.engines.iter().zip(l.runs.iter_mut()).zip(self.acc.iter_mut());
                for ((given, run), acc) in runs {
                    let engine = run.engine(given);
                    let Some(ticket) = run.ticket.as_mut() else { continue };
                    match engine.advance(ticket, end) {
                        Ok(outcome) => observe(engine, run, Some(acc), outcome, comparing),
                        // The ledger's end cannot be reached (a ladder step of a stored ticket
                        // after 9999): counted with the refusals, under its code.
                        Err(err) => {
                            acc.f.rejected += 1;
                            *acc.f.rejected_by_code.entry(err.code().to_string()).or_default() += 1;
                        }
                    }
                }
                self.compare_call(&mut l, 0);
            }
            self.finish_ticket(&id, *l);
        }
        WorkerOutput {
            acc: self.acc,
            records: self.records,
            changes: self.changes,
            errors: self.errors,
            skipped: self.skipped,
            tally: self.tally,
            held_most: self.held_most,
        }
    }
}

/// A `rejected` row for an input refused before any ticket existed.
pub(super) fn refused_row(at: DateTime<Utc>, what: &str, err: &Rejection) -> TimelineRow {
    TimelineRow {
        at,
        kind: RowKind::Rejected,
        stage: None,
        tier: None,
        detail: Text::from(format!("{what} [{}]: {err}", err.code())),
        due: None,
        previous_due: None,
        provisional: false,
    }
}

pub(super) fn outcome_of(run: &PolicyRun<'_>) -> TicketOutcome {
    match &run.ticket {
        None => TicketOutcome { rejected: run.rejected, ..TicketOutcome::default() },
        Some(t) => TicketOutcome {
            stage: t.stage.to_string(),
            closed: t.is_closed(),
            breaches: t.stats.breaches,
            escalations: t.stats.escalations,
            marks: t.marks.len() as u32,
            rejected: run.rejected,
        },
    }
}

/// Follows the rows of one call: stage visits, pauses, breaches, escalations.
pub(super) fn observe(
    engine: &Engine,
    run: &mut PolicyRun<'_>,
    acc: Option<&mut Accumulator>,
    outcome: Outcome,
    keep_rows: bool,
) {
    let policy = engine.policy();
    if let Some(acc) = acc {
        for row in &outcome.rows {
            let tier = || row.tier.as_deref().unwrap_or_default().to_string();
            match row.kind {
                RowKind::Breach => {
                    acc.f.breaches += 1;
                    let stage = row.stage.as_deref().unwrap_or_default().to_string();
                    *acc.f
                        .breaches_by_stage
                        .entry(stage)
                        .or_default()
                        .entry(tier())
                        .or_default() += 1;
                }
                RowKind::Escalate => {
                    acc.f.escalations += 1;
                    *acc.f.escalations_to.entry(tier()).or_default() += 1;
                }
                RowKind::Flag => acc.f.flags += 1,
                _ => {}
            }
        }
    }
    for row in &outcome.rows {
        match row.kind {
            RowKind::Entered => {
                if let Some(v) = run.visits.last_mut().filter(|v| v.left.is_none()) {
                    v.left = Some(row.at);
                    if let Some(since) = run.paused_since.take() {
                        v.paused_working += policy.calendar.working_clock(row.at)
                            - policy.calendar.working_clock(since);
                    }
                }
                let stage = row.stage.clone().unwrap_or_default();
                let terminal =
                    policy.stage_id(&stage).map(|s| policy.stage(s)).is_some_and(|s| s.terminal);
                if !terminal {
                    run.visits.push(Visit {
                        stage,
                        entered: row.at,
                        left: None,
                        deadline: false,
                        breached: false,
                        paused_working: 0,
                        working: None,
                    });
                }
            }
            RowKind::Deadline => {
                if let Some(v) = current_visit(run, row) {
                    v.deadline = true;
                }
            }
            RowKind::Breach => {
                if let Some(v) = current_visit(run, row) {
                    v.breached = true;
                }
            }
            RowKind::Paused => run.paused_since = Some(row.at),
            RowKind::Resumed => {
                if let (Some(since), Some(v)) = (run.paused_since.take(), run.visits.last_mut()) {
                    v.paused_working += policy.calendar.working_clock(row.at)
                        - policy.calendar.working_clock(since);
                }
            }
            RowKind::Escalate => {
                run.escalations.push(row.tier.clone().unwrap_or_default());
            }
            _ => {}
        }
    }
    if keep_rows {
        run.call_rows.extend(outcome.rows);
    }
}

pub(super) fn current_visit<'a>(
    run: &'a mut PolicyRun<'_>,
    row: &TimelineRow,
) -> Option<&'a mut Visit> {
    run.visits
        .last_mut()
        .filter(|v| v.left.is_none() && row.stage.as_deref() == Some(v.stage.as_str()))
}

/// A later line of a ticket: an event, or a calendar update.
enum Step<'e> {
    /// An event line, as read (a refusal when it is not a valid event).
    Event { at: DateTime<Utc>, name: Text, event: Result<Event, Rejection> },
    /// A calendar line: every policy on the update it names.
    Calendar { at: DateTime<Utc>, engines: &'e [Engine] },
}

impl Step<'_> {
    /// When the line happened.
    fn at(&self) -> DateTime<Utc> {
        match self {
            Step::Event { at, .. } | Step::Calendar { at, .. } => *at,
        }
    }
}
