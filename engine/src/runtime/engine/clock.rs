//! Clocks: the working or wall scale of a budget, ladder step instants, and firing what falls
//! due (breaches, ladder steps, obligation deadlines) in time order.

use super::Run;
use super::stage::hand_over;
use crate::compile::{LadderAction, StepAt, TierTarget};
use crate::policy::Duration;
use crate::runtime::{ActionKind, Mark, RowKind, StageClock, Text, Ticket};
use chrono::{DateTime, Utc};
use std::fmt::Write as _;

/// A due item on a ticket's clocks, as [`Run::earliest_due`] found it: the running stage clock
/// (its breach, step `i` of the stage's ladder) or obligation `i` of the policy, open on the ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Due {
    /// The stage deadline passed.
    Breach,
    /// Ladder step i.
    Step(usize),
    /// Obligation i (index in the policy's obligations) passed its deadline.
    Obligation(usize),
}

impl<'e> Run<'e> {
    pub(super) fn is_working(budget: &Duration) -> bool {
        matches!(budget, Duration::WorkingDays(_) | Duration::WorkingHours { .. })
    }

    /// Position on the clock's scale (working or wall seconds).
    pub(super) fn scale(&self, working: bool, t: DateTime<Utc>) -> i64 {
        if working { self.policy().calendar.working_clock(t) } else { t.timestamp() }
    }

    /// The instant at position `v` of the clock's scale. Like the calendar's working clock, it
    /// saturates at the end of chrono's range: a deadline beyond it never falls due.
    pub(super) fn at_scale(&self, working: bool, v: i64) -> DateTime<Utc> {
        if working {
            self.policy().calendar.at_working_clock(v)
        } else {
            DateTime::from_timestamp(v, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
        }
    }

    pub(super) fn used_share(&self, c: &StageClock, now: DateTime<Utc>) -> f64 {
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
    pub(super) fn step_time(&self, c: &StageClock, step: &StepAt) -> DateTime<Utc> {
        self.step_offset(c, step).max(c.started)
    }

    /// When a ladder step falls on clock `c`, before the entry or not.
    pub(super) fn step_offset(&self, c: &StageClock, step: &StepAt) -> DateTime<Utc> {
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
    pub(super) fn earliest_due(&self, ticket: &Ticket) -> Option<(DateTime<Utc>, Due)> {
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
            if let Some((l, ladder)) = stage.ladder.map(|l| (l, p.ladder(l))) {
                // At most 64 steps, the width of `fired`. Of a ladder whose steps always fall in
                // the order listed, the first pending step is the earliest.
                // INVARIANT: `Engine::new` made one entry per ladder of the policy.
                let in_order = self.engine.ladders_in_order[l.index()];
                let pending = ladder.steps.iter().take(64).enumerate();
                let pending = pending.filter(|(i, _)| c.fired & (1u64 << i) == 0);
                for (i, step) in pending.take(if in_order { 1 } else { 64 }) {
                    consider(self.step_time(c, &step.at), Due::Step(i));
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
    pub(super) fn fire_due(
        &mut self,
        ticket: &mut Ticket,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
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
        // a breach or step only while the stage clock runs, a step of the stage's ladder, an
        // obligation of the policy that is open on the ticket.
        let p = self.policy();
        let stage_name: &'e str = &self.engine.stage(ticket).name;
        match due {
            Due::Breach => {
                let c = ticket.clock.as_mut().expect("a breach is due on a running clock");
                c.breached = true;
                let (budget, deadline) = (c.budget, c.deadline);
                // What the stage still waits for, and who holds it, as the explanation says.
                let missing = match self.engine.text {
                    true => self.engine.breach_explanation(ticket, deadline).what_was_missing(),
                    false => String::new(),
                };
                let detail = detail!(
                    self,
                    "`{stage_name}` overdue: {budget} ran out {}{missing}",
                    self.human(deadline)
                );
                ticket.stats.breaches += 1;
                let tier = ticket.tier.clone();
                self.row(at, RowKind::Breach, Some(stage_name), tier.as_deref(), detail);
                self.action(at, ActionKind::Breach, stage_name, tier.as_deref(), None);
            }
            Due::Step(i) => {
                let c = ticket.clock.as_mut().expect("a step is due on a running clock");
                c.fired |= 1u64 << i;
                let stage = self.engine.stage(ticket);
                let ladder = stage.ladder.expect("a step is due on a stage with a ladder");
                let step = &p.ladder(ladder).steps[i];
                if step.when.as_ref().is_some_and(|w| !self.holds(w, &ticket.fields)) {
                    return;
                }
                let before = ticket.tier.clone();
                let assignee = ticket.assignee.clone();
                let target = |t: TierTarget| -> Option<Text> {
                    let cur = before.as_deref().and_then(|b| p.tier_id(b));
                    match t {
                        TierTarget::Tier(id) => Some(Text::from(p.tier(id))),
                        TierTarget::Owner => ticket.owner.clone(),
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
                let ob = &p.obligations[i];
                let st = ticket.obligations.get_mut(ob.name.as_str()).expect("an open obligation");
                st.breached = true;
                ticket.stats.breaches += 1;
                let owner = Some(p.tier(ob.owner));
                let detail = detail!(
                    self,
                    "obligation `{}` overdue: {} ran out {}: waiting for `{}`; held by {}",
                    ob.name,
                    ob.due,
                    self.human(st.deadline),
                    ob.done_on,
                    p.tier(ob.owner)
                );
                self.row(at, RowKind::Breach, Some(&ob.name), owner, detail);
                self.action(at, ActionKind::Breach, &ob.name, owner, None);
            }
        }
    }
}
