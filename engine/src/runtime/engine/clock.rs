//! Clocks: the working or wall scale of a budget, ladder step instants, and firing what falls
//! due (breaches, ladder steps, obligation deadlines) in time order.

use super::Run;
use super::stage::hand_over;
use crate::calendar::{Calendar, Deadline, OutOfRange, kept};
use crate::compile::{ExtendTo, Extension, LadderAction, LadderId, LadderStep, StepAt, TierTarget};
use crate::policy::Duration;
use crate::runtime::{ActionKind, BreachRecord, Clock, Mark, RowKind, Text, Ticket};
use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Write as _;

/// Position of `t` on a clock's scale: working seconds on `cal` for a working-time budget, else
/// wall seconds.
pub(crate) fn scale(cal: &Calendar, working: bool, t: DateTime<Utc>) -> i64 {
    if working { cal.working_clock(t) } else { t.timestamp() }
}

/// The instant at position `v` of a clock's scale; `None` outside the instants the engine keeps.
pub(super) fn at_scale(cal: &Calendar, working: bool, v: i64) -> Option<DateTime<Utc>> {
    if working { cal.at_working_clock(v) } else { kept(v) }
}

/// How far roll-off carried `deadline`, limit `budget` counted from `start`, past the end of the
/// limit's last day: a calendar-day limit whose last day is a rest day ends at the end of the
/// next working day. 0 for every other limit.
pub(crate) fn roll_off(
    cal: &Calendar,
    budget: Duration,
    start: DateTime<Utc>,
    deadline: DateTime<Utc>,
) -> i64 {
    match budget {
        Duration::CalendarDays(n) if n > 0 => {
            (deadline.timestamp() - cal.calendar_days_end(start, n).timestamp()).max(0)
        }
        _ => 0,
    }
}

/// Whether a clock of `budget` ends on a calendar-day limit's last day, rolled off when it is a
/// rest day: a calendar-day budget, or a wall-time one that a calendar-day extension (`by:` or
/// `to:`) of `entries` extended (`used(i)`: the uses of entry i so far).
pub(crate) fn rolls_off(
    budget: Duration,
    entries: &[Extension],
    used: impl Fn(usize) -> u32,
) -> bool {
    match budget {
        Duration::CalendarDays(_) => true,
        Duration::WorkingDays(_) | Duration::WorkingHours { .. } => false,
        Duration::Wall { .. } => entries.iter().enumerate().any(|(i, e)| {
            used(i) > 0
                && matches!(
                    e.change,
                    ExtendTo::By(Duration::CalendarDays(_))
                        | ExtendTo::To(Duration::CalendarDays(_))
                )
        }),
    }
}

/// Where a clock of `budget` paused with `remaining` (on its scale; for a calendar-day limit,
/// up to the end of its last day before roll-off) runs out when it resumes at `at`, and the
/// roll-off of that deadline: when the clock `rolls` off ([`rolls_off`]), its new last day is
/// rolled off again. `None` outside the instants the engine keeps.
pub(crate) fn resumed(
    cal: &Calendar,
    budget: Duration,
    rolls: bool,
    at: DateTime<Utc>,
    remaining: i64,
) -> Option<(DateTime<Utc>, i64)> {
    let working = matches!(budget, Duration::WorkingDays(_) | Duration::WorkingHours { .. });
    let end = at_scale(cal, working, scale(cal, working, at).checked_add(remaining)?)?;
    if rolls && !working {
        let rolled = kept(cal.roll_off(end).timestamp())?;
        Some((rolled, (rolled - end).num_seconds()))
    } else {
        Some((end, 0))
    }
}

/// When ladder step `at` falls on clock `c`, before the clock's start or not; `None` when that
/// instant lies after 9999-12-31T23:59:59Z, the last instant the engine keeps. A step before the
/// deadline too far back to be represented lies before any start, so it is the earliest instant.
pub(crate) fn step_instant(cal: &Calendar, c: &Clock, at: &StepAt) -> Option<DateTime<Utc>> {
    let working = matches!(c.budget, Duration::WorkingDays(_) | Duration::WorkingHours { .. });
    let earliest = DateTime::<Utc>::MIN_UTC;
    let moved = |d: Option<TimeDelta>, before: bool| {
        let t = d.and_then(|d| {
            if before { c.deadline.checked_sub_signed(d) } else { c.deadline.checked_add_signed(d) }
        });
        match t.and_then(|t| kept(t.timestamp()).map(|_| t)) {
            Some(t) => Some(t),
            None if before => Some(earliest),
            None => None,
        }
    };
    match *at {
        StepAt::Percent(p) => {
            // From the deadline back by the share of the budget not yet used (forward past 100 %).
            let back = ((1.0 - p / 100.0) * c.total as f64).round();
            if !back.is_finite() || back.abs() >= 9.0e18 {
                return None;
            }
            let v = scale(cal, working, c.deadline).checked_sub(back as i64)?;
            at_scale(cal, working, v)
        }
        StepAt::Offset { before, by } => match by {
            Duration::WorkingDays(n) if before => {
                Some(cal.working_days_before(c.deadline, n).unwrap_or(earliest))
            }
            Duration::WorkingDays(n) => cal.working_days_after(c.deadline, n),
            Duration::WorkingHours { minutes } => {
                let d = i64::from(minutes) * 60;
                let w = cal.working_clock(c.deadline);
                if before {
                    Some(cal.at_working_clock(w - d).unwrap_or(earliest))
                } else {
                    cal.at_working_clock(w + d)
                }
            }
            Duration::Wall { seconds } => moved(TimeDelta::try_seconds(seconds), before),
            Duration::CalendarDays(n) => moved(TimeDelta::try_days(i64::from(n)), before),
        },
    }
}

/// A ladder step's time as written (`80%`, `deadline + 1 working day`).
fn step_text(at: &StepAt) -> String {
    match at {
        StepAt::Percent(p) => format!("{p}%"),
        StepAt::Offset { by, .. } if by.is_zero() => "deadline".to_string(),
        StepAt::Offset { before: true, by } => format!("deadline - {by}"),
        StepAt::Offset { before: false, by } => format!("deadline + {by}"),
    }
}

/// One of a ticket's clocks: the current stage's, or obligation `i` of the policy's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum ClockRef {
    /// The current stage's clock.
    Stage,
    /// Obligation i (index in the policy's obligations).
    Obligation(usize),
}

/// What falls due on a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum DueKind {
    /// The deadline passed.
    Breach,
    /// Step i of the clock's ladder.
    Step(usize),
}

/// A due item on a ticket's clocks, as [`Run::earliest_due`] found it. At one instant the stage
/// clock's items come first, then each obligation's in the policy's order; a breach before the
/// steps of its clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Due {
    /// Whose clock.
    pub(super) clock: ClockRef,
    /// What falls due.
    pub(super) kind: DueKind,
}

impl<'e> Run<'e> {
    pub(super) fn is_working(budget: &Duration) -> bool {
        matches!(budget, Duration::WorkingDays(_) | Duration::WorkingHours { .. })
    }

    /// Position on the clock's scale (working or wall seconds).
    pub(super) fn scale(&self, working: bool, t: DateTime<Utc>) -> i64 {
        scale(&self.policy().calendar, working, t)
    }

    /// A clock of `budget` started at `at`, and its deadline as the calendar computed it; `None`
    /// (and the call refused) when the deadline lies after the last instant the engine keeps.
    pub(super) fn new_clock(
        &self,
        budget: Duration,
        at: DateTime<Utc>,
    ) -> Option<(Clock, Deadline)> {
        let deadline = match self.policy().calendar.add(at, budget) {
            Ok(deadline) => deadline,
            Err(e) => {
                self.beyond_range(e);
                return None;
            }
        };
        let working = Self::is_working(&budget);
        let total = self.scale(working, deadline.at) - self.scale(working, at);
        let roll_off = roll_off(&self.policy().calendar, budget, at, deadline.at);
        let clock = Clock {
            budget,
            started: at,
            deadline: deadline.at,
            total,
            provisional: deadline.provisional.is_some(),
            paused: None,
            fired: 0,
            breached: false,
            breach: None,
            extended: Vec::new(),
            roll_off,
        };
        Some((clock, deadline))
    }

    /// The share of clock `c`'s limit used at `now`, on the ladder's measure: the limit's
    /// `total` against what is left to the deadline, roll-off included. A paused clock holds the
    /// time to its last day before roll-off, so its roll-off is added back: it shows the share
    /// it had used when it stopped.
    pub(super) fn used_share(&self, c: &Clock, now: DateTime<Utc>) -> f64 {
        let working = Self::is_working(&c.budget);
        let left = match &c.paused {
            Some(p) => p.remaining.saturating_add(c.roll_off),
            None => self.scale(working, c.deadline) - self.scale(working, now),
        };
        if c.total <= 0 { 1.0 } else { 1.0 - left as f64 / c.total as f64 }
    }

    /// When a ladder step falls on clock `c`. A step that would fall before the stage was
    /// entered (`deadline - 2h` on a 30-minute stage) falls at the entry, not in the past.
    pub(super) fn step_time(&self, c: &Clock, step: &StepAt) -> DateTime<Utc> {
        self.step_offset(c, step).max(c.started)
    }

    /// When a ladder step falls on clock `c`, before the entry or not. A step after the last
    /// instant the engine keeps refuses the call (and stands at that end meanwhile, so that
    /// nothing fires at it).
    pub(super) fn step_offset(&self, c: &Clock, step: &StepAt) -> DateTime<Utc> {
        let cal = &self.policy().calendar;
        step_instant(cal, c, step).unwrap_or_else(|| {
            let due = crate::timefmt::rfc3339(cal.tz(), c.deadline);
            let what = format!("ladder step `{}` of a limit due {due}", step_text(step));
            self.beyond_range(OutOfRange { what });
            DateTime::<Utc>::MAX_UTC
        })
    }

    /// Works out every ladder step of `clock` (on ladder `ladder`) when its deadline is late
    /// enough that one of them could pass the last instant the engine keeps: such a step
    /// refuses the call that started the clock, not a later one that reaches it.
    pub(super) fn check_steps(&self, ladder: Option<LadderId>, clock: &Clock) {
        if clock.deadline.timestamp() <= self.engine.horizon.steps_safe_until {
            return;
        }
        for step in ladder.map_or(&[][..], |l| &self.policy().ladder(l).steps[..]) {
            self.step_offset(clock, &step.at);
        }
    }

    /// The clock `r` names on `ticket`, if it has it (an obligation only once started).
    pub(super) fn clock_of<'t>(&self, ticket: &'t Ticket, r: ClockRef) -> Option<&'t Clock> {
        match r {
            ClockRef::Stage => ticket.clock.as_ref(),
            ClockRef::Obligation(i) => {
                let ob = self.policy().obligations.get(i)?;
                ticket.obligations.get(ob.name.as_str()).map(|s| &s.clock)
            }
        }
    }

    /// As [`Run::clock_of`], to change it.
    pub(super) fn clock_mut<'t>(
        &self,
        ticket: &'t mut Ticket,
        r: ClockRef,
    ) -> Option<&'t mut Clock> {
        match r {
            ClockRef::Stage => ticket.clock.as_mut(),
            ClockRef::Obligation(i) => {
                let ob = self.policy().obligations.get(i)?;
                ticket.obligations.get_mut(ob.name.as_str()).map(|s| &mut s.clock)
            }
        }
    }

    /// The ladder clock `r` runs on `ticket`: the current stage's, or the obligation's.
    pub(super) fn ladder_of(&self, ticket: &Ticket, r: ClockRef) -> Option<LadderId> {
        match r {
            ClockRef::Stage => self.engine.stage(ticket).ladder,
            ClockRef::Obligation(i) => self.policy().obligations.get(i)?.ladder,
        }
    }

    /// The name clock `r` goes by in rows: the stage's or the obligation's.
    pub(super) fn clock_name(&self, ticket: &Ticket, r: ClockRef) -> &'e str {
        match r {
            ClockRef::Stage => &self.engine.stage(ticket).name,
            ClockRef::Obligation(i) => self.policy().obligations.get(i).map_or("", |o| &o.name),
        }
    }

    /// The earliest pending item on the ticket's clocks.
    pub(super) fn earliest_due(&self, ticket: &Ticket) -> Option<(DateTime<Utc>, Due)> {
        if ticket.is_closed() {
            return None;
        }
        let p = self.policy();
        let mut best: Option<(DateTime<Utc>, Due)> = None;
        let mut consider_clock = |c: &Clock, clock: ClockRef, ladder: Option<LadderId>| {
            let mut consider = |t: DateTime<Utc>, kind: DueKind| {
                let d = Due { clock, kind };
                if best.is_none_or(|b| (t, d) < b) {
                    best = Some((t, d));
                }
            };
            if !c.breached {
                consider(c.deadline, DueKind::Breach);
            }
            if let Some((l, ladder)) = ladder.map(|l| (l, p.ladder(l))) {
                // At most 64 steps, the width of `fired`. Of a ladder whose steps always fall in
                // the order listed, the first pending step is the earliest.
                // INVARIANT: `Engine::new` made one entry per ladder of the policy.
                let in_order = self.engine.ladders_in_order[l.index()];
                let pending = ladder.steps.iter().take(64).enumerate();
                let pending = pending.filter(|(i, _)| c.fired & (1u64 << i) == 0);
                for (i, step) in pending.take(if in_order { 1 } else { 64 }) {
                    consider(self.step_time(c, &step.at), DueKind::Step(i));
                }
            }
        };
        if let Some(c) = ticket.clock.as_ref().filter(|c| c.paused.is_none()) {
            consider_clock(c, ClockRef::Stage, self.engine.stage(ticket).ladder);
        }
        for (i, ob) in p.obligations.iter().enumerate() {
            if let Some(st) = ticket.obligations.get(ob.name.as_str()).filter(|s| s.done.is_none())
                && st.clock.paused.is_none()
            {
                consider_clock(&st.clock, ClockRef::Obligation(i), ob.ladder);
            }
        }
        best
    }

    /// Fires every due item at or before `now`, in time order.
    /// Returns the instant of the first item left, after `now`: the ticket's wake-up for as
    /// long as nothing else changes its clocks.
    pub(super) fn fire_due(
        &mut self,
        ticket: &mut Ticket,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        self.at_stage(&ticket.stage);
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

    /// Fires `due`, which [`Run::earliest_due`] has just found on `ticket`.
    #[expect(clippy::expect_used, reason = "the invariant below")]
    pub(super) fn fire(&mut self, ticket: &mut Ticket, at: DateTime<Utc>, due: Due) {
        // INVARIANT: `due` names what `earliest_due` found on this very ticket, unchanged since:
        // a breach or step only while its clock runs (the stage's, or an obligation's that is
        // open), a step of that clock's ladder.
        let p = self.policy();
        let name: &'e str = self.clock_name(ticket, due.clock);
        match (due.kind, due.clock) {
            (DueKind::Breach, ClockRef::Stage) => {
                let (tier, assignee) = (ticket.tier.clone(), ticket.assignee.clone());
                let c = ticket.clock.as_mut().expect("a breach is due on a running clock");
                c.breached = true;
                let deadline = c.deadline;
                c.breach = Some(Box::new(BreachRecord {
                    deadline,
                    tier: tier.as_deref().map(str::to_string),
                    assignee: assignee.as_deref().map(str::to_string),
                }));
                let budget = self.limit_in_force(ticket, due.clock);
                // What the stage still waits for, and who holds it, as the explanation says.
                let missing = match self.engine.text {
                    true => self.engine.breach_explanation(ticket, deadline).what_was_missing(),
                    false => String::new(),
                };
                let detail = detail!(
                    self,
                    "`{name}` overdue: {budget} ran out {}{missing}",
                    self.human(deadline)
                );
                ticket.stats.breaches += 1;
                let tier = ticket.tier.clone();
                self.row(at, RowKind::Breach, Some(name), tier.as_deref(), detail);
                self.action(at, ActionKind::Breach, name, tier.as_deref(), None);
            }
            (DueKind::Breach, ClockRef::Obligation(i)) => {
                let ob = &p.obligations[i];
                let c = self.clock_mut(ticket, due.clock).expect("an open obligation");
                c.breached = true;
                let deadline = c.deadline;
                let tier = Some(p.tier(ob.owner).to_string());
                c.breach = Some(Box::new(BreachRecord { deadline, tier, assignee: None }));
                let budget = self.limit_in_force(ticket, due.clock);
                ticket.stats.breaches += 1;
                let owner = Some(p.tier(ob.owner));
                let detail = detail!(
                    self,
                    "obligation `{name}` overdue: {budget} ran out {}: waiting for `{}`; owed by {}",
                    self.human(deadline),
                    ob.done_on,
                    p.tier(ob.owner)
                );
                let tier = ticket.tier.clone();
                self.row(at, RowKind::Breach, Some(name), tier.as_deref(), detail);
                self.action(at, ActionKind::Breach, name, owner, None);
            }
            (DueKind::Step(i), clock) => {
                let c = self.clock_mut(ticket, clock).expect("a step is due on a running clock");
                c.fired |= 1u64 << i;
                let ladder = self.ladder_of(ticket, clock).expect("a step is due on a ladder");
                let step = &p.ladder(ladder).steps[i];
                if step.when.as_ref().is_some_and(|w| !self.holds(w, &ticket.fields)) {
                    return;
                }
                // `owner`: the stage's owner, or the obligation's.
                let owner = match clock {
                    ClockRef::Stage => ticket.owner.clone(),
                    ClockRef::Obligation(o) => Some(Text::from(p.tier(p.obligations[o].owner))),
                };
                self.fire_step(ticket, at, step, name, owner);
            }
        }
    }

    /// The limit clock `r` of `ticket` runs to, as written: its budget, or after extensions
    /// the limit in force (`15 working days + 15 working days`, `30 calendar days`), read from
    /// the ticket's history. Empty when rows carry no text.
    fn limit_in_force(&self, ticket: &Ticket, r: ClockRef) -> String {
        let Some(c) = self.clock_of(ticket, r).filter(|_| self.engine.text) else {
            return String::new();
        };
        if c.extended.is_empty() {
            return c.budget.to_string();
        }
        let cal = &self.policy().calendar;
        match self.walk_clock(cal, ticket, r, c, false) {
            Ok(walked) => walked.limit(c.budget),
            // A walk past the engine's range: the clock holds a deadline the engine wrote,
            // so this does not happen; the limit as written is the fallback.
            Err(_) => c.budget.to_string(),
        }
    }

    /// Fires ladder `step` of the clock named `stage_name`, whose owner is `owner`.
    fn fire_step(
        &mut self,
        ticket: &mut Ticket,
        at: DateTime<Utc>,
        step: &'e LadderStep,
        stage_name: &'e str,
        owner: Option<Text>,
    ) {
        let p = self.policy();
        let before = ticket.tier.clone();
        let assignee = ticket.assignee.clone();
        let target = |t: TierTarget| -> Option<Text> {
            let cur = before.as_deref().and_then(|b| p.tier_id(b));
            match t {
                TierTarget::Tier(id) => Some(Text::from(p.tier(id))),
                TierTarget::Owner => owner.clone(),
                TierTarget::Next => cur.map(|c| Text::from(p.tier(p.tier_above(c)))),
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
            LadderAction::Escalate if to.clone().or_else(|| target(TierTarget::Next)) == before => {
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
            LadderAction::Flag | LadderAction::Notify => notify.as_deref().or(tier.as_deref()),
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
}
