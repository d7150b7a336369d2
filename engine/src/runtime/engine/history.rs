//! A clock's history, walked: its limit counted from its start, then each pause and extension
//! the ticket's history holds for it, in the order they came, on a given calendar. Explanations
//! show the walk ([`Engine::explain`](super::Engine::explain)); calendar updates count it on the
//! previous calendar and on the new one ([`Engine::recalendar`](super::Engine::recalendar)).
//! Extensions are counted by [`extended`], the one rule the engine applies when the event comes.

use super::Run;
use super::clock::{self, ClockRef, scale};
use crate::calendar::{Calendar, Deadline, Derivation, OutOfRange, Provisional};
use crate::compile::{ExtendTo, Extension, PauseRule, ResumeMode};
use crate::policy::Duration;
use crate::runtime::{AuditEntry, Clock, ExtensionRecord, Ticket};
use chrono::{DateTime, Utc};

/// The limit `d` counted from `from` on `cal`, with its derivation when `explain` is set.
fn count(
    cal: &Calendar,
    from: DateTime<Utc>,
    d: Duration,
    explain: bool,
) -> Result<(Deadline, Option<Derivation>), OutOfRange> {
    if explain {
        let why = cal.explain(from, d)?;
        Ok((why.result(), Some(why)))
    } else {
        Ok((cal.add(from, d)?, None))
    }
}

/// The instant at position `v` of a clock's scale, or the `OutOfRange` `what` names.
fn at_scale(
    cal: &Calendar,
    working: bool,
    v: i64,
    what: impl FnOnce() -> String,
) -> Result<DateTime<Utc>, OutOfRange> {
    clock::at_scale(cal, working, v).ok_or_else(|| OutOfRange { what: what() })
}

/// What an extension does to a clock: the new deadline, what it adds on the clock's scale, the
/// counted limit (`by`: from the deadline; `to`: the whole limit from the start) and, when
/// asked, its derivation.
pub(super) struct Extended {
    /// The new deadline.
    pub(super) deadline: DateTime<Utc>,
    /// What the extension adds, on the clock's scale (working or wall seconds).
    pub(super) added: i64,
    /// The limit as counted (its provisional mark says whether it rests on days beyond the
    /// calendar's data).
    pub(super) counted: Deadline,
    /// How the counted limit was reached.
    pub(super) derivation: Option<Derivation>,
    /// The roll-off of the new deadline ([`Clock::roll_off`]).
    pub(super) roll_off: i64,
}

/// The deadline of a clock (`working` scale, started at `started`, due at `deadline` with limit
/// `total` and roll-off `roll_off`) after `change`, on `cal`.
///
/// `by`: counted on from the current deadline as the calendar counts any limit from an
/// instant (working days from the day after the deadline's last day); a calendar-day `by` on a
/// wall-time clock counts from the end of the limit's last day before roll-off. `to`: the
/// clock's whole limit from its start; time the clock was paused still does not count, so the
/// end before roll-off moves by the difference between the new limit and the current one, both
/// before roll-off, and a calendar-day limit's new last day is rolled off again.
///
/// A deadline after the last instant the engine keeps is an `OutOfRange`.
pub(super) fn extended(
    cal: &Calendar,
    working: bool,
    (started, deadline, total, roll_off): (DateTime<Utc>, DateTime<Utc>, i64, i64),
    change: ExtendTo,
    explain: bool,
) -> Result<Extended, OutOfRange> {
    let sc = |t: DateTime<Utc>| scale(cal, working, t);
    // Roll-off is kept on wall-time clocks, for calendar-day counts.
    let days = |d: Duration| match d {
        Duration::CalendarDays(n) if !working => Some(n),
        _ => None,
    };
    match change {
        ExtendTo::By(d) => {
            let from = match days(d) {
                Some(_) => chrono::TimeDelta::try_seconds(roll_off)
                    .and_then(|r| deadline.checked_sub_signed(r))
                    .ok_or_else(|| OutOfRange {
                        what: format!("`{d}` from {}", crate::timefmt::rfc3339(cal.tz(), deadline)),
                    })?,
                None => deadline,
            };
            let (to, derivation) = count(cal, from, d, explain)?;
            let added = sc(to.at) - sc(deadline);
            let roll_off = days(d).map_or(0, |_| clock::roll_off(cal, d, from, to.at));
            Ok(Extended { deadline: to.at, added, counted: to, derivation, roll_off })
        }
        ExtendTo::To(d) => {
            let (end, derivation) = count(cal, started, d, explain)?;
            let end_roll = days(d).map_or(0, |_| clock::roll_off(cal, d, started, end.at));
            // The new limit and the current one, both before roll-off.
            let more = (sc(end.at) - end_roll - sc(started))
                .saturating_sub(total.saturating_sub(roll_off));
            if more <= 0 {
                let at = end.at.min(deadline);
                let added = sc(at) - sc(deadline);
                return Ok(Extended { deadline: at, added, counted: end, derivation, roll_off });
            }
            let what = || format!("`{d}` from {}", crate::timefmt::rfc3339(cal.tz(), started));
            let last = sc(deadline).saturating_sub(roll_off).saturating_add(more);
            let unrolled = at_scale(cal, working, last, what)?;
            let at = match days(d) {
                Some(_) => at_scale(cal, false, cal.roll_off(unrolled).timestamp(), what)?,
                None => unrolled,
            };
            let added = sc(at) - sc(deadline);
            let roll_off = sc(at) - sc(unrolled);
            Ok(Extended { deadline: at, added, counted: end, derivation, roll_off })
        }
    }
}

/// One change the history made to a clock after its start.
pub(super) enum Change<'p> {
    /// A pause: from the pause event to the resume event (`None`: paused now), the rule that
    /// paused it, the time it held on the clock's scale (0 while paused), and, when the resume
    /// rolled the new end off a rest day, that end before roll-off and the deadline after.
    Pause {
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
        rule: &'p PauseRule,
        held: i64,
        rolled: Option<(DateTime<Utc>, DateTime<Utc>)>,
    },
    /// An extension by event `ext.on` at `at`: the deadline it extended (`from`) and what it did.
    Extension {
        at: DateTime<Utc>,
        ext: &'p Extension,
        from: DateTime<Utc>,
        extended: Box<Extended>,
    },
}

/// A clock counted from its start through its history on one calendar.
pub(super) struct Walked<'p> {
    /// The limit counted from the start (the last restart).
    pub(super) base: Deadline,
    /// How it was reached, when asked.
    pub(super) derivation: Option<Derivation>,
    /// The pauses and extensions since, in order.
    pub(super) changes: Vec<Change<'p>>,
    /// The deadline they give.
    pub(super) deadline: DateTime<Utc>,
    /// The limit on the clock's scale, extensions included.
    pub(super) total: i64,
    /// The time left while paused.
    pub(super) remaining: Option<i64>,
    /// The deadline's roll-off ([`Clock::roll_off`]).
    pub(super) roll_off: i64,
    /// Whether the deadline rests on days beyond the calendar's data, as the engine marks it.
    pub(super) provisional: bool,
    /// The stretches the clock ran, in order (from the last restart), each on the deadline and
    /// limit it held then: a ladder step fired in the first stretch it fell due in.
    pub(super) phases: Vec<Phase>,
}

/// A stretch a clock ran with one deadline: from `since` (its start, a resume, an extension)
/// until the next pause or extension (`None`: it runs still).
pub(super) struct Phase {
    /// When the stretch began.
    pub(super) since: DateTime<Utc>,
    /// When it ended.
    pub(super) until: Option<DateTime<Utc>>,
    /// The deadline the clock held in it.
    pub(super) deadline: DateTime<Utc>,
    /// The limit on the clock's scale in it, extensions included.
    pub(super) total: i64,
    /// How many extensions came before it.
    pub(super) extensions: usize,
}

impl Walked<'_> {
    /// Ends the running stretch at `at` (a pause or an extension).
    fn end_phase(&mut self, at: DateTime<Utc>) {
        if let Some(ph) = self.phases.last_mut().filter(|ph| ph.until.is_none()) {
            ph.until = Some(at);
        }
    }

    /// Begins a stretch at `at` on the deadline and limit walked so far.
    fn begin_phase(&mut self, at: DateTime<Utc>) {
        self.end_phase(at);
        let extensions =
            self.changes.iter().filter(|c| matches!(c, Change::Extension { .. })).count();
        let (deadline, total) = (self.deadline, self.total);
        self.phases.push(Phase { since: at, until: None, deadline, total, extensions });
    }

    /// The first provisional mark among the counted limits (the base, then each extension's).
    pub(super) fn first_provisional(&self) -> Option<Provisional> {
        let mut extensions = self.changes.iter().filter_map(|c| match c {
            Change::Extension { extended, .. } => extended.counted.provisional.clone(),
            Change::Pause { .. } => None,
        });
        self.base.provisional.clone().or_else(|| extensions.next())
    }

    /// The limit in force, as written: `budget` after each extension walked (`15 working days +
    /// 15 working days`, `30 calendar days`).
    pub(super) fn limit(&self, budget: Duration) -> String {
        self.limit_after(budget, usize::MAX)
    }

    /// The limit as written after the first `n` extensions walked.
    pub(super) fn limit_after(&self, budget: Duration, n: usize) -> String {
        let mut limit = budget.to_string();
        let extensions = self.changes.iter().filter_map(|c| match c {
            Change::Extension { ext, .. } => Some(ext),
            Change::Pause { .. } => None,
        });
        for ext in extensions.take(n) {
            limit = match ext.change {
                ExtendTo::By(d) => format!("{limit} + {d}"),
                ExtendTo::To(d) => d.to_string(),
            };
        }
        limit
    }
}

impl<'e> Run<'e> {
    /// Walks clock `r` (`c` on `ticket`) on `cal`: its budget counted from its start, then each
    /// event of the ticket's history since that the engine took as a pause, a resume or an
    /// extension of this clock, applied as the engine applied it then. Derivations are built
    /// when `explain` is set.
    ///
    /// An extension event's entry is the one its audit record names. For a record written
    /// without one, the event is this clock's when an entry of the clock's `extensions` is on it and
    /// the clock's use count of that entry (`Clock::extended`) is not yet reached by the events
    /// walked before it; of several entries on one event, the first whose `when` holds on the
    /// ticket's fields now, else the first with uses left. An obligation's extension event that
    /// an earlier obligation, open at the time, also takes was that obligation's. A walk that
    /// does not reach the deadline the clock holds is a history that is not all there (an
    /// engine without history, a record before the walk's start): callers compare.
    pub(super) fn walk_clock(
        &self,
        cal: &Calendar,
        ticket: &Ticket,
        r: ClockRef,
        c: &Clock,
        explain: bool,
    ) -> Result<Walked<'e>, OutOfRange> {
        let p = self.policy();
        let working = Self::is_working(&c.budget);
        let sc = |t: DateTime<Utc>| scale(cal, working, t);
        let beyond = |t: DateTime<Utc>| t.with_timezone(&cal.tz()).date_naive() > cal.coverage().1;
        let (base, derivation) = count(cal, c.started, c.budget, explain)?;
        let total = sc(base.at) - sc(c.started);
        let mut w = Walked {
            deadline: base.at,
            total,
            provisional: base.provisional.is_some(),
            phases: vec![Phase {
                since: c.started,
                until: None,
                deadline: base.at,
                total,
                extensions: 0,
            }],
            roll_off: clock::roll_off(cal, c.budget, c.started, base.at),
            base,
            derivation,
            changes: Vec::new(),
            remaining: None,
        };
        let mut started = c.started;
        let mut used: Vec<u32> = Vec::new();
        let mut open: Option<(DateTime<Utc>, &'e PauseRule)> = None;
        let stage = self.engine.stage(ticket);
        for rec in &ticket.history {
            let AuditEntry::Event(e) = &rec.entry else { continue };
            if e.at < c.started {
                continue;
            }
            let name = e.event.as_str();
            if r == ClockRef::Stage && stage.on.iter().any(|t| t.event == name) {
                continue; // the transition that entered the stage, at its start
            }
            let recorded = rec.extension.as_ref();
            if let Some((entry, ext)) =
                self.extension_entry(ticket, r, c, (name, e.at, recorded), &used)
            {
                if used.len() <= entry {
                    used.resize(entry + 1, 0);
                }
                used[entry] += 1;
                let now = (started, w.deadline, w.total, w.roll_off);
                let x = extended(cal, working, now, ext.change, explain)?;
                w.total = w.total.saturating_add(x.added);
                w.provisional = w.provisional || x.counted.provisional.is_some();
                if let Some(left) = w.remaining.as_mut() {
                    // What it adds to the limit before roll-off.
                    let more = x.added.saturating_sub(x.roll_off.saturating_sub(w.roll_off));
                    *left = left.saturating_add(more);
                }
                w.roll_off = x.roll_off;
                let from = std::mem::replace(&mut w.deadline, x.deadline);
                w.changes.push(Change::Extension { at: e.at, ext, from, extended: Box::new(x) });
                if open.is_none() {
                    w.begin_phase(e.at);
                }
                continue;
            }
            if r != ClockRef::Stage {
                continue;
            }
            match open {
                None => {
                    if let Some(rule) = p.pauses.iter().find(|r| r.on == name) {
                        open = Some((e.at, rule));
                        let end = sc(w.deadline).saturating_sub(w.roll_off);
                        w.remaining = Some(end.saturating_sub(sc(e.at)).max(0));
                        w.end_phase(e.at);
                    }
                }
                Some((since, rule)) if rule.resume_on == name => {
                    let left = w.remaining.take().unwrap_or(0);
                    open = None;
                    let mode = p.pauses.iter().find(|r| r.resume_on == name).map(|r| r.resume);
                    if mode == Some(ResumeMode::Restart) {
                        let (base, derivation) = count(cal, e.at, c.budget, explain)?;
                        started = e.at;
                        let total = sc(base.at) - sc(e.at);
                        let phase = Phase {
                            since: e.at,
                            until: None,
                            deadline: base.at,
                            total,
                            extensions: 0,
                        };
                        w = Walked {
                            deadline: base.at,
                            total,
                            phases: vec![phase],
                            provisional: base.provisional.is_some(),
                            roll_off: clock::roll_off(cal, c.budget, e.at, base.at),
                            base,
                            derivation,
                            changes: Vec::new(),
                            remaining: None,
                        };
                        continue;
                    }
                    let used = |i: usize| used.get(i).copied().unwrap_or(0);
                    let rolls = clock::rolls_off(c.budget, &stage.extensions, used);
                    let (deadline, roll_off) = clock::resumed(cal, c.budget, rolls, e.at, left)
                        .ok_or_else(|| {
                            let from = crate::timefmt::rfc3339(cal.tz(), e.at);
                            OutOfRange { what: format!("the rest of `{}` from {from}", c.budget) }
                        })?;
                    w.deadline = deadline;
                    w.total = w.total.saturating_sub(w.roll_off).saturating_add(roll_off);
                    w.roll_off = roll_off;
                    w.provisional = w.provisional || beyond(w.deadline);
                    let held = sc(e.at) - sc(since);
                    let rolled = chrono::TimeDelta::try_seconds(roll_off)
                        .filter(|_| roll_off > 0)
                        .and_then(|r| deadline.checked_sub_signed(r))
                        .map(|end| (end, deadline));
                    let to = Some(e.at);
                    w.changes.push(Change::Pause { from: since, to, rule, held, rolled });
                    w.begin_phase(e.at);
                }
                Some(_) => {}
            }
        }
        if let Some((since, rule)) = open {
            w.changes.push(Change::Pause { from: since, to: None, rule, held: 0, rolled: None });
        }
        Ok(w)
    }

    /// The entry of clock `r`'s `extensions` that event `name` at `at` applied: the one its
    /// audit record names (`recorded`), else, for a record written without it, the entry
    /// worked out from the uses of each entry walked so far (see [`Run::walk_clock`]).
    fn extension_entry(
        &self,
        ticket: &Ticket,
        r: ClockRef,
        c: &Clock,
        (name, at, recorded): (&str, DateTime<Utc>, Option<&ExtensionRecord>),
        used: &[u32],
    ) -> Option<(usize, &'e Extension)> {
        if let Some(x) = recorded
            && let Some(found) = self.recorded_entry(ticket, r, name, x)
        {
            return found;
        }
        let p = self.policy();
        let entries: &'e [Extension] = match r {
            ClockRef::Stage => &self.engine.stage(ticket).extensions,
            ClockRef::Obligation(i) => {
                let taken = p.obligations.iter().take(i).any(|ob| {
                    ob.extensions.iter().any(|e| e.on == name)
                        && ticket.obligations.get(ob.name.as_str()).is_some_and(|s| {
                            s.clock.started <= at && s.done.is_none_or(|done| done > at)
                        })
                });
                if taken {
                    return None;
                }
                &p.obligations.get(i)?.extensions
            }
        };
        let left = |i: usize| used.get(i).copied().unwrap_or(0) < c.extensions_used(i);
        let holds = |e: &Extension| {
            e.when.as_ref().is_none_or(|w| self.guard(w, &ticket.fields).unwrap_or(false))
        };
        let on = || entries.iter().enumerate().filter(|(i, e)| e.on == name && left(*i));
        on().find(|(_, e)| holds(e)).or_else(|| on().next())
    }

    /// The entry the record of an extension event names, if it is one of clock `r`'s entries on
    /// that event with the recorded change: `Some(None)` when the record names another clock,
    /// `None` when it names nothing the policy has (the entry is then worked out as for a
    /// record without one).
    fn recorded_entry(
        &self,
        ticket: &Ticket,
        r: ClockRef,
        name: &str,
        x: &ExtensionRecord,
    ) -> Option<Option<(usize, &'e Extension)>> {
        let clock = self.clock_name(ticket, r);
        let named = match r {
            ClockRef::Stage => x.stage.as_deref(),
            ClockRef::Obligation(_) => x.obligation.as_deref(),
        };
        if named != Some(clock) {
            return Some(None);
        }
        let entries: &'e [Extension] = match r {
            ClockRef::Stage => &self.engine.stage(ticket).extensions,
            ClockRef::Obligation(i) => &self.policy().obligations.get(i)?.extensions,
        };
        let i = usize::try_from(x.entry).ok()?;
        let change = match (x.by, x.to) {
            (Some(d), None) => ExtendTo::By(d),
            (None, Some(d)) => ExtendTo::To(d),
            _ => return None,
        };
        let ext = entries.get(i).filter(|e| e.on == name && e.change == change)?;
        Some(Some((i, ext)))
    }
}
