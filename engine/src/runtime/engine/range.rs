//! The instants a policy's clocks can reach: which inputs could set a deadline or a ladder step
//! after 9999-12-31T23:59:59Z, the last instant the engine keeps. Only those calls keep a copy
//! of the ticket to put back when they are refused (`out_of_range`), and only their stage
//! entries work out every ladder step at once.

use crate::calendar::KEPT;
use crate::compile::{CompiledPolicy, ExtendTo, StepAt};
use crate::runtime::Ticket;
use chrono::{DateTime, Utc};

/// Two days, for zone offsets and the rounding of working time on days a zone change shortens.
const SPARE: i64 = 2 * 86_400;

/// How far a policy's clocks reach, as the latest safe timestamps.
#[derive(Clone, Copy, Debug)]
pub(super) struct Horizon {
    /// An event, a deadline or a clock's position at or before this cannot lead past the
    /// last instant the engine keeps.
    safe_until: i64,
    /// Every ladder step of a deadline at or before this lies within the instants kept.
    pub(super) steps_safe_until: i64,
    /// The most a stored budget (`total`, a pause's `remaining`) of a ticket the engine wrote can
    /// hold, in seconds of either scale.
    budget: i64,
}

impl Horizon {
    /// The reach of `policy`: its longest time limit with every extension it may take, its
    /// furthest ladder step after a deadline (a share beyond 100 % of the longest limit, or an
    /// offset) and its longest obligation, on its calendar, added up.
    pub(super) fn of(policy: &CompiledPolicy) -> Self {
        let cal = &policy.calendar;
        let dues = policy.stages.iter().flat_map(|s| s.due.iter().map(|d| d.value));
        let obligation = policy.obligations.iter().map(|o| cal.reach(o.due)).max().unwrap_or(0);
        // What extensions can add to a clock: every `by:` entry used as often as it may be, and
        // the longest `to:` limit (a whole limit counted from the clock's start).
        let extensions = policy
            .stages
            .iter()
            .flat_map(|s| s.extensions.iter())
            .chain(policy.obligations.iter().flat_map(|o| o.extensions.iter()));
        let (mut by, mut to) = (0i64, 0i64);
        for x in extensions {
            match x.change {
                ExtendTo::By(d) => {
                    by = by.saturating_add(cal.reach(d).saturating_mul(i64::from(x.max)));
                }
                ExtendTo::To(d) => to = to.max(cal.reach(d)),
            }
        }
        // The longest limit a clock runs, a stage's or an obligation's, extended.
        let due = dues.map(|d| cal.reach(d)).max().unwrap_or(0).max(obligation).max(to);
        let due = due.saturating_add(by);
        let steps = policy.ladders.iter().flat_map(|l| l.steps.iter().map(|s| &s.at));
        let step = steps
            .map(|at| match *at {
                // Forward by (p − 100) % of a budget, whose size is at most `due` seconds.
                StepAt::Percent(p) if p > 100.0 => {
                    cal.reach_working(((p / 100.0 - 1.0) * due as f64) as i64)
                }
                StepAt::Percent(_) | StepAt::Offset { before: true, .. } => 0,
                StepAt::Offset { before: false, by } => cal.reach(by),
            })
            .max()
            .unwrap_or(0);
        let latest = *KEPT.end();
        let all = due.saturating_add(step).saturating_add(obligation).saturating_add(SPARE);
        Horizon {
            safe_until: latest.saturating_sub(all),
            steps_safe_until: latest.saturating_sub(step.saturating_add(SPARE)),
            budget: due.saturating_add(SPARE),
        }
    }

    /// Whether `t` is beyond what this policy's clocks keep within the last instant kept.
    pub(super) fn late(&self, t: DateTime<Utc>) -> bool {
        t.timestamp() > self.safe_until
    }

    /// Whether a call on `ticket` at `at` could reach past the last instant kept: `at`, a
    /// deadline or a budget the ticket holds is beyond what this policy's clocks keep within it.
    pub(super) fn at_risk(&self, ticket: &Ticket, at: DateTime<Utc>) -> bool {
        let late = |t: DateTime<Utc>| self.late(t);
        late(at)
            || late(ticket.clock_at)
            || ticket.clock.as_ref().is_some_and(|c| {
                late(c.deadline)
                    || c.total > self.budget
                    || c.paused.as_ref().is_some_and(|p| p.remaining > self.budget)
            })
            || ticket.obligations.values().any(|o| {
                late(o.clock.deadline)
                    || o.clock.total > self.budget
                    || o.clock.paused.as_ref().is_some_and(|p| p.remaining > self.budget)
            })
    }
}
