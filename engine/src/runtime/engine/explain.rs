//! Explaining a ticket's clocks: the calendar's derivation from the clock's start, the pauses
//! and extensions read from the ticket's history in order, the ladder steps placed on the
//! clock, the breach.

use super::clock::ClockRef;
use super::history::{Change, Walked};
use super::stage::group_pending;
use super::{Engine, Run};
use crate::calendar::{Calendar, Provisional};
use crate::compile::{ExtendTo, LadderAction, StepAt, TierTarget};
use crate::runtime::{
    BreachExplanation, Clock, ClockExplanation, ClockExtension, ClockKind, ClockState, PauseSpan,
    Rejection, RolledOn, StepPlacement, Ticket,
};
use chrono::{DateTime, Days, Utc};

impl Engine {
    /// Explains clock `clock` of `ticket`: the clock of the current stage (named by the stage)
    /// or an obligation that has started (named by the obligation). `Ok(None)` when the ticket
    /// has no such clock (a stage without a time limit, a stage left, an obligation not started).
    ///
    /// Everything comes from the ticket, the policy and its calendar, so the same ticket gives
    /// the same explanation, byte for byte. Pauses and extensions are read from the ticket's
    /// history, in order, and counted as the engine counted them, so the explained deadline is
    /// the clock's; an engine that keeps no history ([`Engine::without_history`]) explains a
    /// moved deadline without them.
    ///
    /// ```
    /// # use ombud_engine::runtime::*;
    /// # let engine = ombud_engine::doc_support::desk();
    /// # let input: OpenTicket = serde_json::from_str(r#"{"id":"D-1","at":"2026-03-02T09:00:00Z"}"#)?;
    /// let (ticket, _) = engine.open(&input)?;
    /// let why = engine.explain(&ticket, "open")?.expect("the stage has a clock");
    /// assert_eq!(why.deadline.to_rfc3339(), "2026-03-02T13:00:00+00:00");
    /// assert!(why.to_string().starts_with("stage `open`, held by agent: running\n  4h from Mon 2 Mar 2026 09:00"));
    /// assert_eq!(engine.explain(&ticket, "nowhere")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(
        &self,
        ticket: &Ticket,
        clock: &str,
    ) -> Result<Option<ClockExplanation>, Rejection> {
        self.check_pin(ticket)?;
        if ticket.stage.as_str() == clock
            && let Some(c) = &ticket.clock
        {
            return self.explain_stage(ticket, c).map(Some);
        }
        self.explain_obligation(ticket, clock)
    }

    /// The names of the clocks `ticket` has: the current stage's (if it has a time limit),
    /// then each started obligation's, in the policy's order.
    pub(crate) fn clock_names(&self, ticket: &Ticket) -> Vec<String> {
        let mut names = Vec::new();
        if ticket.clock.is_some() {
            names.push(ticket.stage.to_string());
        }
        for ob in &self.policy.obligations {
            if ticket.obligations.contains_key(ob.name.as_str()) {
                names.push(ob.name.clone());
            }
        }
        names
    }

    /// Refused (`out_of_range`) for a clock whose limit or ladder steps, counted from its
    /// start, end after 9999: a clock the engine never writes.
    fn explain_stage(&self, ticket: &Ticket, c: &Clock) -> Result<ClockExplanation, Rejection> {
        let state = if ticket.is_closed() {
            ClockState::Done
        } else if c.breached {
            ClockState::Breached
        } else if c.paused.is_some() {
            ClockState::Paused
        } else {
            ClockState::Running
        };
        // The breach as recorded when it fired; a ticket stored before the engine recorded it
        // shows the deadline it holds, and who held it is worked out from the ladder.
        let recorded = c.breach.as_deref();
        let deadline = recorded.map_or(c.deadline, |b| b.deadline);
        let mut breach = c.breached.then(|| self.breach_explanation(ticket, deadline));
        if let Some(b) = breach.as_mut() {
            (b.tier, b.assignee) = match recorded {
                Some(r) => (r.tier.clone(), r.assignee.clone()),
                None => self.held_at_breach(ticket, c),
            };
        }
        let mut why = self.explain_clock(ticket, ClockRef::Stage, c, self.stage(ticket).ladder)?;
        why.name = ticket.stage.to_string();
        why.tier = ticket.tier.as_deref().map(str::to_string);
        why.state = state;
        why.breach = breach;
        Ok(why)
    }

    fn explain_obligation(
        &self,
        ticket: &Ticket,
        name: &str,
    ) -> Result<Option<ClockExplanation>, Rejection> {
        let p = &*self.policy;
        let Some((i, ob)) = p.obligations.iter().enumerate().find(|(_, o)| o.name == name) else {
            return Ok(None);
        };
        let Some(st) = ticket.obligations.get(name) else { return Ok(None) };
        let tz = p.calendar.tz();
        let c = &st.clock;
        let mut why = self.explain_clock(ticket, ClockRef::Obligation(i), c, ob.ladder)?;
        let tier = Some(p.tier(ob.owner).to_string());
        why.kind = ClockKind::Obligation;
        why.name = ob.name.clone();
        why.state = if st.done.is_some() || ticket.is_closed() {
            ClockState::Done
        } else if c.breached {
            ClockState::Breached
        } else {
            ClockState::Running
        };
        // A breach stays part of the explanation after a late discharge, with nothing missing.
        let deadline = c.breach.as_deref().map_or(c.deadline, |b| b.deadline);
        why.breach = c.breached.then(|| BreachExplanation {
            deadline: deadline.with_timezone(&tz),
            tier: tier.clone(),
            assignee: None,
            waiting_for: if st.done.is_none() { vec![ob.done_on.clone()] } else { Vec::new() },
            missing_artifacts: Vec::new(),
            pending_members: Vec::new(),
        });
        why.tier = tier;
        Ok(Some(why))
    }

    /// Clock `r` (`c` on `ticket`, running `ladder`) explained from its history (see
    /// [`Run::walk_clock`]); the caller names it and gives its state and breach.
    fn explain_clock(
        &self,
        ticket: &Ticket,
        r: ClockRef,
        c: &Clock,
        ladder: Option<crate::compile::LadderId>,
    ) -> Result<ClockExplanation, Rejection> {
        let cal = &*self.policy.calendar;
        let tz = cal.tz();
        let run = Run::new(self);
        run.at_stage(&ticket.stage);
        let walked =
            run.walk_clock(cal, ticket, r, c, true).map_err(|e| Rejection::out_of_range(&e))?;
        let working = Run::is_working(&c.budget);
        let mut pauses = Vec::new();
        let mut extensions = Vec::new();
        for change in &walked.changes {
            match change {
                Change::Pause { from, to, rule, held, rolled } => pauses.push(PauseSpan {
                    from: from.with_timezone(&tz),
                    to: to.map(|t| t.with_timezone(&tz)),
                    on: rule.on.clone(),
                    resume_on: rule.resume_on.clone(),
                    held_seconds: *held,
                    working,
                    rolled_on: rolled.map(|(end, deadline)| rolled_on(cal, end, deadline)),
                }),
                Change::Extension { at, ext, from, extended } => {
                    let Some(derivation) = extended.derivation.clone() else { continue };
                    extensions.push(ClockExtension {
                        at: at.with_timezone(&tz),
                        event: ext.on.clone(),
                        change: ext.change.to_string(),
                        whole_limit: matches!(ext.change, ExtendTo::To(_)),
                        from: from.with_timezone(&tz),
                        derivation,
                        added_seconds: extended.added,
                        working,
                        deadline: extended.deadline.with_timezone(&tz),
                    });
                }
            }
        }
        // A clock paused now without a history to read shows its current pause alone.
        if let Some(pz) = c.paused.as_ref().filter(|_| pauses.iter().all(|p| p.to.is_some())) {
            let on = self.policy.pauses.iter().find(|r| r.resume_on == pz.resume_on);
            pauses.push(PauseSpan {
                from: pz.since.with_timezone(&tz),
                to: None,
                on: on.map(|r| r.on.clone()).unwrap_or_default(),
                resume_on: pz.resume_on.clone(),
                held_seconds: 0,
                working,
                rolled_on: None,
            });
        }
        // A walk short of the deadline the clock holds has not read all of its history.
        let whole = (walked.deadline == c.deadline).then_some(&walked);
        let steps = self.steps(c, ladder, whole, &run);
        if let Some(refusal) = run.range_refusal() {
            return Err(refusal);
        }
        let first = walked.first_provisional();
        let Some(derivation) = walked.derivation else {
            return Err(Rejection::bad("the clock's limit could not be explained"));
        };
        Ok(ClockExplanation {
            kind: ClockKind::Stage,
            name: String::new(),
            tier: None,
            state: ClockState::Running,
            budget: c.budget,
            start: c.started.with_timezone(&tz),
            provisional: self.provisional(&first, c.deadline),
            derivation,
            pauses,
            extensions,
            deadline: c.deadline.with_timezone(&tz),
            steps,
            breach: None,
        })
    }

    /// Where the steps of `ladder` fall on clock `c`, and which have fired. A step yet to fire
    /// falls on the clock as it stands (re-based on an extended limit); one that fired is
    /// placed where it fell due on the clock as it stood then, read from `walked` (the clock's
    /// whole history, when it was all there).
    fn steps(
        &self,
        c: &Clock,
        ladder: Option<crate::compile::LadderId>,
        walked: Option<&Walked<'_>>,
        run: &Run<'_>,
    ) -> Vec<StepPlacement> {
        let tz = self.policy.calendar.tz();
        let working = Run::is_working(&c.budget);
        let Some(ladder) = ladder.map(|l| self.policy.ladder(l)) else { return Vec::new() };
        let now = walked.and_then(|w| w.phases.last()).map_or(0, |ph| ph.extensions);
        let limit =
            |n: usize| (n > 0).then(|| walked.map(|w| w.limit_after(c.budget, n))).flatten();
        ladder
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let fired = i < 64 && c.fired & (1u64 << i) != 0;
                let (at, extensions) = match walked.filter(|_| fired) {
                    Some(w) => fired_at(run, c, w, &step.at),
                    None => (run.step_time(c, &step.at), now),
                };
                StepPlacement {
                    at_text: step.at_text.clone(),
                    action: action_name(step.action).to_string(),
                    at: at.with_timezone(&tz),
                    rule: step_rule(&step.at, working, limit(extensions).as_deref()),
                    fired,
                }
            })
            .collect()
    }

    /// The provisional mark of a clock: the first of its counted limits', or, when pauses moved
    /// the deadline beyond the calendar's data, the first day beyond it.
    fn provisional(
        &self,
        counted: &Option<Provisional>,
        deadline: DateTime<Utc>,
    ) -> Option<Provisional> {
        if counted.is_some() {
            return counted.clone();
        }
        let cal = &self.policy.calendar;
        let covered_until = cal.covered_until()?;
        // A deadline at local midnight belongs to the day it ends.
        let local = deadline.with_timezone(&cal.tz()).naive_local();
        let day = if local.time() == chrono::NaiveTime::MIN {
            local.date().pred_opt().unwrap_or(local.date())
        } else {
            local.date()
        };
        let first = covered_until.checked_add_days(Days::new(1))?;
        (day > covered_until).then(|| Provisional {
            calendar: cal.id().to_string(),
            date: first,
            covered_from: cal.coverage().0,
            covered_until,
        })
    }

    /// Who held `ticket` when its stage clock `c` breached, for a clock stored without its
    /// breach record ([`Clock::breach`]), and the person for that tier: the tier holding it now unless an `escalate` or `reassign` step of the stage's ladder fired
    /// at or after the deadline (a step at the deadline fires after the breach). Then the tier
    /// is the owner on entry moved by the tier-moving steps that fell before the deadline, in
    /// the order they fell, and the person is the one a mark recorded against that tier at or
    /// after the deadline (or the one named now, if that tier holds the ticket now).
    fn held_at_breach(&self, ticket: &Ticket, c: &Clock) -> (Option<String>, Option<String>) {
        let now = (
            ticket.tier.as_deref().map(str::to_string),
            ticket.assignee.as_deref().map(str::to_string),
        );
        let p = &*self.policy;
        let Some(ladder) = self.stage(ticket).ladder.map(|l| p.ladder(l)) else { return now };
        let run = Run::new(self);
        let mut moves: Vec<_> = (ladder.steps.iter().take(64).enumerate())
            .filter(|(i, s)| {
                c.fired & (1u64 << i) != 0
                    && matches!(s.action, LadderAction::Escalate | LadderAction::Reassign)
            })
            .map(|(i, s)| (run.step_time(c, &s.at), i, s))
            .collect();
        if moves.iter().all(|(at, ..)| *at < c.deadline) {
            return now;
        }
        moves.sort_by_key(|(at, i, _)| (*at, *i));
        let mut tier = ticket.owner.as_deref().map(str::to_string);
        for (_, _, step) in moves.iter().filter(|(at, ..)| *at < c.deadline) {
            if step.when.as_ref().is_some_and(|w| !run.guard(w, &ticket.fields).unwrap_or(false)) {
                continue;
            }
            let target = match (step.to, step.action) {
                (Some(t), _) => t,
                (None, LadderAction::Escalate) => TierTarget::Next,
                (None, _) => continue,
            };
            tier = match target {
                TierTarget::Tier(id) => Some(p.tier(id).to_string()),
                TierTarget::Owner => ticket.owner.as_deref().map(str::to_string),
                TierTarget::Next => {
                    let cur = tier.as_deref().and_then(|t| p.tier_id(t));
                    cur.map(|id| p.tier(p.tier_above(id)).to_string()).or(tier)
                }
            };
        }
        if tier == now.0 {
            return (tier, now.1);
        }
        let mark = ticket.marks.iter().find(|m| {
            m.stage.as_str() == ticket.stage.as_str()
                && m.at >= c.deadline
                && Some(m.tier.as_str()) == tier.as_deref()
        });
        (tier, mark.and_then(|m| m.assignee.as_deref().map(str::to_string)))
    }

    /// What `ticket` waits for in its current stage, and who holds it: the breach of clock
    /// `deadline` explained as it stands now.
    pub(super) fn breach_explanation(
        &self,
        ticket: &Ticket,
        deadline: DateTime<Utc>,
    ) -> BreachExplanation {
        let stage = self.stage(ticket);
        let mut waiting_for: Vec<String> = Vec::new();
        for tr in &stage.on {
            if !waiting_for.contains(&tr.event) {
                waiting_for.push(tr.event.clone());
            }
        }
        let missing_artifacts = stage
            .requires
            .iter()
            .filter(|a| !ticket.artifacts.contains_key(a.as_str()))
            .cloned()
            .collect();
        let pending_members =
            ticket.group.as_ref().map(|g| group_pending(g, self.group_completion(g)));
        BreachExplanation {
            deadline: deadline.with_timezone(&self.policy.calendar.tz()),
            tier: ticket.tier.as_deref().map(str::to_string),
            assignee: ticket.assignee.as_deref().map(str::to_string),
            waiting_for,
            missing_artifacts,
            pending_members: pending_members.unwrap_or_default(),
        }
    }
}

/// When a fired step of clock `c` fired, and how many extensions the clock had then: in the
/// first stretch of `walked` whose deadline placed it no later than the stretch ended (at the
/// stretch's start if it fell before: due items fire as the clock runs again). A step the
/// stretches do not place (a history not all there) falls on the clock as it stands.
fn fired_at(run: &Run<'_>, c: &Clock, walked: &Walked<'_>, at: &StepAt) -> (DateTime<Utc>, usize) {
    for ph in &walked.phases {
        let then = Clock { deadline: ph.deadline, total: ph.total, ..c.clone() };
        let due = run.step_time(&then, at);
        if ph.until.is_none_or(|until| due <= until) {
            return (due.max(ph.since), ph.extensions);
        }
    }
    let last = walked.phases.last().map_or(0, |ph| ph.extensions);
    (run.step_time(c, at), last)
}

fn action_name(a: LadderAction) -> &'static str {
    match a {
        LadderAction::Flag => "flag",
        LadderAction::Notify => "notify",
        LadderAction::Escalate => "escalate",
        LadderAction::Reassign => "reassign",
    }
}

/// The rule that places a step: `80 % of the working time`, `2 working days after the deadline`;
/// on a clock extended to limit `extended`, `80 % of the extended working time (15 working days +
/// 15 working days)`, `1 working day after the extended deadline`.
fn step_rule(at: &StepAt, working: bool, extended: Option<&str>) -> String {
    let ext = if extended.is_some() { "extended " } else { "" };
    match at {
        StepAt::Percent(p) => {
            let scale = if working { "working time" } else { "time" };
            let deadline = (*p == 100.0).then_some("the deadline");
            let note = match (extended, deadline) {
                (Some(l), Some(d)) => format!(" ({l}; {d})"),
                (Some(x), None) | (None, Some(x)) => format!(" ({x})"),
                (None, None) => String::new(),
            };
            format!("{p} % of the {ext}{scale}{note}")
        }
        // `at: deadline` is the deadline itself, as `100%` is.
        StepAt::Offset { by, .. } if by.is_zero() => {
            step_rule(&StepAt::Percent(100.0), working, extended)
        }
        StepAt::Offset { before, by } => {
            format!("{by} {} the {ext}deadline", if *before { "before" } else { "after" })
        }
    }
}

/// How a resume rolled a calendar-day limit's new end off a rest day: its last day (that of the
/// end before roll-off `end`; an instant at local midnight ends the day before), what that day
/// is, and the deadline it rolled on to.
fn rolled_on(cal: &Calendar, end: DateTime<Utc>, deadline: DateTime<Utc>) -> RolledOn {
    let tz = cal.tz();
    let last_second = end.checked_sub_signed(chrono::TimeDelta::seconds(1)).unwrap_or(end);
    let last_day = last_second.with_timezone(&tz).date_naive();
    let day = match cal.day_note(last_day) {
        Some(note) => note.to_string(),
        None => cal.day_kind(last_day).as_str().replace('_', " "),
    };
    RolledOn { last_day, day, deadline: deadline.with_timezone(&tz) }
}
