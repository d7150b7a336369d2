//! A calendar update's effect on a set of clocks, in figures: what `ombud recalendar` and a
//! server's calendar deploy report.

use super::ClockUpdate;
use serde::Serialize;

/// The figures of a calendar update over many clocks ([`ClockUpdate`]s).
///
/// ```
/// use ombud_engine::runtime::{ClockKind, ClockUpdate, UpdateSummary};
/// let t = |s: &str| s.parse::<chrono::DateTime<chrono::FixedOffset>>().unwrap()
///     .with_timezone(&chrono_tz::Asia::Shanghai);
/// let u = |old: &str, new: &str, provisional: bool, moved: i64| ClockUpdate {
///     ticket: "T-1".into(), kind: ClockKind::Stage, name: "handle".into(), old: t(old),
///     new: t(new), was_provisional: true, provisional, moved_working_days: moved,
///     explanation: None };
/// let s = UpdateSummary::of(&[
///     u("2027-01-05T00:00:00+08:00", "2027-01-05T00:00:00+08:00", false, 0), // confirmed
///     u("2027-01-05T00:00:00+08:00", "2027-01-05T00:00:00+08:00", true, 0), // still provisional
///     u("2027-01-05T00:00:00+08:00", "2027-01-07T00:00:00+08:00", false, 2), // later
///     u("2027-02-01T17:30:00+08:00", "2027-01-31T17:30:00+08:00", false, -1), // earlier
/// ]);
/// assert_eq!((s.provisional, s.confirmed, s.unchanged_provisional, s.moved), (4, 1, 1, 2));
/// assert_eq!(s.moves.to_string(), "1 later, up to +2 working days; 1 earlier, up to -1 working day");
/// // The largest move either way, for a single figure.
/// assert_eq!(s.largest_move_working_days, 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UpdateSummary {
    /// Deadlines that rested on days beyond the previous calendar's data.
    pub provisional: usize,
    /// Of those, the same deadline and no longer provisional.
    pub confirmed: usize,
    /// Of those, the same deadline, still resting on days beyond the new data.
    pub unchanged_provisional: usize,
    /// Of those, moved.
    pub moved: usize,
    /// Which way the provisional deadlines moved.
    pub moves: Moves,
    /// Deadlines that were not provisional and moved (corrected data).
    pub corrected: usize,
    /// Which way those moved.
    pub corrections: Moves,
    /// The largest move, later or earlier, in working days (positive: later).
    pub largest_move_working_days: i64,
}

/// Which way a set of deadlines moved: later and earlier, each with its largest move.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Moves {
    /// Deadlines that moved later.
    pub later: usize,
    /// The largest move later, in working days (0 when none).
    pub latest_working_days: i64,
    /// Deadlines that moved earlier: a handler who counted on the old deadline is late.
    pub earlier: usize,
    /// The largest move earlier, in working days (negative; 0 when none).
    pub earliest_working_days: i64,
}

impl UpdateSummary {
    /// The figures of `updates`.
    pub fn of(updates: &[ClockUpdate]) -> Self {
        let count = |f: &dyn Fn(&ClockUpdate) -> bool| updates.iter().filter(|u| f(u)).count();
        let moves = |provisional: bool| {
            let mut m = Moves::default();
            for u in updates.iter().filter(|u| u.moved() && u.was_provisional == provisional) {
                if u.new > u.old {
                    m.later += 1;
                    m.latest_working_days = m.latest_working_days.max(u.moved_working_days);
                } else {
                    m.earlier += 1;
                    m.earliest_working_days = m.earliest_working_days.min(u.moved_working_days);
                }
            }
            m
        };
        UpdateSummary {
            provisional: count(&|u| u.was_provisional),
            confirmed: count(&|u| u.confirmed()),
            unchanged_provisional: count(&|u| u.unchanged_provisional()),
            moved: count(&|u| u.was_provisional && u.moved()),
            moves: moves(true),
            corrected: count(&|u| !u.was_provisional && u.moved()),
            corrections: moves(false),
            largest_move_working_days: updates
                .iter()
                .map(|u| u.moved_working_days)
                .max_by_key(|m| m.abs())
                .unwrap_or(0),
        }
    }
}

impl std::fmt::Display for Moves {
    /// `96 later, up to +1 working day; 23 earlier, up to -1 working day` (a side without moves
    /// left out; empty when nothing moved).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let days = |n: i64| format!("{n:+} working day{}", if n.abs() == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if self.later > 0 {
            parts.push(format!("{} later, up to {}", self.later, days(self.latest_working_days)));
        }
        if self.earlier > 0 {
            parts.push(format!(
                "{} earlier, up to {}",
                self.earlier,
                days(self.earliest_working_days)
            ));
        }
        f.write_str(&parts.join("; "))
    }
}
