//! The arithmetic: working-day ordinals, the working clock W(t) and its inverse, and `add`.
//!
//! Every day has an index `x` (days since Monday 0001-01-01). `ord(x)` is the number of working
//! days before day `x`; it is continuous across the table's edges, so one formula serves all
//! dates. Each working day contributes exactly `S` seconds to W (the business-hours length, or
//! 86,400 without hours), so `W(t) = ord(day(t)) * S + (worked part of day(t))`, and the end of
//! working day with ordinal `k` is the first instant with `W = (k + 1) * S`.
//!
//! A table built once per calendar holds, for the covered range plus a margin on either side
//! (computed on the plain workweek), the kind and ordinal of each day, the UTC instant of each
//! local midnight, and the UTC open/close instant of every business-hours window of every working
//! day. Queries are a binary search and a few array reads; outside the table, the plain workweek
//! is counted arithmetically by whole weeks and the zone is consulted directly.

use super::{
    Calendar, DayKind, Deadline, Definition, OutOfRange, Provisional, day_index, index_date, kept,
};
use crate::policy::Duration;
use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, Offset, TimeDelta, TimeZone, Utc};

/// Days of plain workweek computed into the table before the covered range.
const MARGIN_BEFORE: i64 = 400;
/// Days of plain workweek computed into the table after the covered range.
const MARGIN_AFTER: i64 = 800;
/// The table of an unbounded calendar: these years.
const UNBOUNDED_TABLE: (i32, i32) = (2000, 2060);
/// Day indexes beyond these are clamped (chrono's limits, with room for zone offsets).
const MIN_X: i64 = -73_000_000;
const MAX_X: i64 = 73_000_000;

/// The day index of 1970-01-01.
const UNIX_EPOCH_X: i64 = 719_162;

/// Converts a timestamp to an instant, clamping to chrono's range.
pub(super) fn ts_to_utc(ts: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(ts, 0).unwrap_or(if ts < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// Precomputed per-calendar tables.
#[derive(Debug)]
pub(super) struct Tables {
    /// Working weekdays, Monday first.
    week: [bool; 7],
    /// `prefix[i]`: working weekdays among the first `i` days of the week.
    prefix: [i64; 8],
    /// Working weekdays per week (≥ 1).
    per_week: i64,
    /// `nth[r]`: weekday (0 = Monday) of the r-th working day of a week.
    nth: [i64; 7],
    /// Windows as `(open, close, length)` seconds of the local day; `[(0, 86400, 86400)]`
    /// without business hours.
    win: Vec<(i64, i64, i64)>,
    /// Working seconds per working day.
    s: i64,
    /// The cutoff as seconds of the day.
    cutoff: Option<i64>,
    /// Covered range as day indexes (for provisional marks); `None`: unbounded.
    cov: Option<(i64, i64)>,
    /// First day index of the table.
    t0: i64,
    /// Day kinds of the table.
    kinds: Vec<DayKind>,
    /// `ord[i]`: working days in the table before table day `i` (`len + 1` entries).
    ord: Vec<u32>,
    /// Table day of each working day, in order.
    wds: Vec<u32>,
    /// `ord(t0)` by the plain-workweek formula.
    base: i64,
    /// UTC timestamp of the start of each table day (`len + 1` entries).
    day_start: Vec<i64>,
    /// Per working day of the table, per window: open and close timestamps.
    bounds: Vec<i64>,
    tz: chrono_tz::Tz,
}

impl Tables {
    pub(super) fn new(def: &Definition) -> Tables {
        let week = def.workweek;
        let mut prefix = [0i64; 8];
        let mut nth = [0i64; 7];
        let mut per_week = 0i64;
        for (i, &w) in week.iter().enumerate() {
            prefix[i + 1] = prefix[i] + i64::from(w);
            if w {
                nth[usize::try_from(per_week).unwrap_or(0)] = i as i64;
                per_week += 1;
            }
        }
        let win: Vec<(i64, i64, i64)> = match &def.hours {
            Some(h) if !h.windows.is_empty() => h
                .seconds()
                .into_iter()
                .map(|(a, b)| (i64::from(a), i64::from(b), i64::from(b) - i64::from(a)))
                .collect(),
            _ => vec![(0, 86_400, 86_400)],
        };
        let s = win.iter().map(|w| w.2).sum::<i64>().max(1);
        let cutoff = def.cutoff.map(|c| i64::from(chrono::Timelike::num_seconds_from_midnight(&c)));
        let cov = def.covers.map(|(a, z)| (day_index(a), day_index(z)));
        let (t0, t1) = match cov {
            Some((a, z)) => (a - MARGIN_BEFORE, z + MARGIN_AFTER),
            None => (
                NaiveDate::from_ymd_opt(UNBOUNDED_TABLE.0, 1, 1).map_or(0, day_index),
                NaiveDate::from_ymd_opt(UNBOUNDED_TABLE.1, 12, 31).map_or(0, day_index),
            ),
        };
        let mut t = Tables {
            week,
            prefix,
            per_week: per_week.max(1),
            nth,
            win,
            s,
            cutoff,
            cov,
            t0,
            kinds: Vec::new(),
            ord: Vec::new(),
            wds: Vec::new(),
            base: 0,
            day_start: Vec::new(),
            bounds: Vec::new(),
            tz: def.tz,
        };
        t.base = t.pw(t0);
        let len = usize::try_from(t1 - t0 + 1).unwrap_or(0);
        let mut kinds = Vec::with_capacity(len);
        for x in t0..=t1 {
            let k = match cov {
                Some((a, z)) if x >= a && x <= z => {
                    def.kinds.get(usize::try_from(x - a).unwrap_or(0)).copied()
                }
                _ => None,
            };
            kinds.push(k.unwrap_or_else(|| t.plain_kind(x)));
        }
        let mut ord = Vec::with_capacity(len + 1);
        let mut wds = Vec::new();
        let mut day_start = Vec::with_capacity(len + 1);
        let mut bounds = Vec::new();
        let mut n = 0u32;
        for (i, k) in kinds.iter().enumerate() {
            let x = t0 + i as i64;
            ord.push(n);
            day_start.push(t.local_ts(x, 0));
            if k.is_working() {
                wds.push(u32::try_from(i).unwrap_or(u32::MAX));
                for &(o, c, _) in &t.win {
                    bounds.push(t.local_ts(x, o));
                    bounds.push(t.local_ts(x, c));
                }
                n += 1;
            }
        }
        ord.push(n);
        day_start.push(t.local_ts(t1 + 1, 0));
        t.kinds = kinds;
        t.ord = ord;
        t.wds = wds;
        t.day_start = day_start;
        t.bounds = bounds;
        t
    }

    fn weekday(x: i64) -> usize {
        usize::try_from(x.rem_euclid(7)).unwrap_or(0)
    }

    fn plain_kind(&self, x: i64) -> DayKind {
        if self.week[Self::weekday(x)] { DayKind::Workday } else { DayKind::Weekend }
    }

    /// Working days of the plain workweek before day `x` (from the epoch).
    fn pw(&self, x: i64) -> i64 {
        x.div_euclid(7) * self.per_week + self.prefix[Self::weekday(x)]
    }

    /// The day with plain-workweek ordinal `k`.
    fn plain_nth(&self, k: i64) -> i64 {
        let r = usize::try_from(k.rem_euclid(self.per_week)).unwrap_or(0);
        k.div_euclid(self.per_week).saturating_mul(7).saturating_add(self.nth[r])
    }

    fn len(&self) -> i64 {
        self.kinds.len() as i64
    }

    /// The UTC timestamp of local `secs` (0..=86,400) on day `x`: the earliest instant for an
    /// ambiguous local time, the end of the gap for a skipped one.
    fn local_ts(&self, x: i64, secs: i64) -> i64 {
        let (x, secs) = if secs >= 86_400 { (x + 1, secs - 86_400) } else { (x, secs) };
        if x < MIN_X {
            return DateTime::<Utc>::MIN_UTC.timestamp();
        }
        if x > MAX_X {
            return DateTime::<Utc>::MAX_UTC.timestamp();
        }
        let Some(date) = index_date(x) else {
            return if x < 0 { i64::MIN / 4 } else { i64::MAX / 4 };
        };
        let time = u32::try_from(secs)
            .ok()
            .and_then(|s| NaiveTime::from_num_seconds_from_midnight_opt(s, 0))
            .unwrap_or(NaiveTime::MIN);
        let mut ndt = date.and_time(time);
        let mut steps = 0;
        loop {
            match self.tz.from_local_datetime(&ndt) {
                LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.timestamp(),
                LocalResult::None if steps < 24 * 60 => {
                    // Skipped local time: the first instant after it is where the gap ends.
                    let next_minute = 60 - i64::from(chrono::Timelike::second(&ndt));
                    ndt += TimeDelta::seconds(next_minute);
                    steps += 1;
                }
                LocalResult::None => return ndt.and_utc().timestamp(),
            }
        }
    }

    /// The day index of the local date of timestamp `ts`, and whether `ts` is exactly the
    /// local midnight that starts it.
    fn local_day_midnight(&self, ts: i64) -> (i64, bool) {
        let x = self.local_day(ts);
        let i = x.saturating_sub(self.t0);
        if i >= 0 && i < self.len() {
            (x, self.day_start[i as usize] == ts)
        } else {
            (x, self.local_day(ts.saturating_sub(1)) < x)
        }
    }

    /// The day index of the local date of timestamp `ts`.
    fn local_day(&self, ts: i64) -> i64 {
        if let (Some(&first), Some(&last)) = (self.day_start.first(), self.day_start.last())
            && ts >= first
            && ts < last
        {
            // Days are 23–25 hours long, so a division lands within a day of the answer.
            let len = self.day_start.len() - 1;
            let mut i = usize::try_from((ts - first) / 86_400).unwrap_or(0).min(len - 1);
            while i > 0 && self.day_start[i] > ts {
                i -= 1;
            }
            while i + 1 < len && self.day_start[i + 1] <= ts {
                i += 1;
            }
            return self.t0 + i as i64;
        }
        // By offset arithmetic, which cannot leave chrono's range at its edges.
        let naive = ts_to_utc(ts).naive_utc();
        let off = self.tz.offset_from_utc_datetime(&naive).fix().local_minus_utc();
        ts.saturating_add(i64::from(off)).div_euclid(86_400) + UNIX_EPOCH_X
    }

    fn kind(&self, x: i64) -> DayKind {
        let i = x.saturating_sub(self.t0);
        if i >= 0 && i < self.len() { self.kinds[i as usize] } else { self.plain_kind(x) }
    }

    /// Working days before day `x`.
    fn ord(&self, x: i64) -> i64 {
        let x = x.clamp(MIN_X, MAX_X);
        let i = x.saturating_sub(self.t0);
        if i <= 0 {
            self.pw(x)
        } else if i <= self.len() {
            self.base + i64::from(self.ord[i as usize])
        } else {
            let end = self.t0 + self.len();
            self.base + i64::from(self.ord[self.ord.len() - 1]) + self.pw(x) - self.pw(end)
        }
    }

    /// The working day with ordinal `k`.
    fn nth(&self, k: i64) -> i64 {
        let rel = k.saturating_sub(self.base);
        let total = self.wds.len() as i64;
        if rel < 0 {
            self.plain_nth(k)
        } else if rel < total {
            self.t0 + i64::from(self.wds[rel as usize])
        } else {
            self.plain_nth((rel - total).saturating_add(self.pw(self.t0 + self.len())))
        }
    }

    /// Open and close timestamps of window `j` of working day `x`.
    fn window(&self, x: i64, j: usize) -> (i64, i64) {
        let i = x.saturating_sub(self.t0);
        if i >= 0 && i < self.len() {
            let k = self.ord[i as usize] as usize;
            let b = (k * self.win.len() + j) * 2;
            if let (Some(&o), Some(&c)) = (self.bounds.get(b), self.bounds.get(b + 1)) {
                return (o, c);
            }
        }
        let (o, c, _) = self.win[j];
        (self.local_ts(x, o), self.local_ts(x, c))
    }

    /// W at timestamp `ts`.
    fn clock(&self, ts: i64) -> i64 {
        let x = self.local_day(ts);
        let base = self.ord(x) * self.s;
        if !self.kind(x).is_working() {
            return base;
        }
        let mut acc = 0;
        for (j, &(_, _, l)) in self.win.iter().enumerate() {
            let (o, c) = self.window(x, j);
            if ts >= c {
                acc += l;
            } else {
                if ts > o {
                    let real = c - o;
                    acc += if real == l {
                        ts - o
                    } else {
                        i64::try_from(i128::from(ts - o) * i128::from(l) / i128::from(real))
                            .unwrap_or(l)
                    };
                }
                break;
            }
        }
        base + acc
    }

    /// The first timestamp with W = `w`.
    fn clock_inverse(&self, w: i64) -> i64 {
        self.clock_inverse_day(w).0
    }

    /// The end (close of the last window) of the working day with ordinal `k`, and its index:
    /// the first instant with W = `(k + 1) * S`.
    fn end_of_working_day(&self, k: i64) -> (i64, i64) {
        let x = self.nth(k);
        (self.window(x, self.win.len() - 1).1, x)
    }

    /// The first timestamp with W = `w`, and the working day it ends or falls in.
    fn clock_inverse_day(&self, w: i64) -> (i64, i64) {
        let k = w.div_euclid(self.s);
        let r = w.rem_euclid(self.s);
        if r == 0 {
            // Reached at the close of the previous working day.
            return self.end_of_working_day(k.saturating_sub(1));
        }
        let x = self.nth(k);
        (self.point_in_day(x, r), x)
    }

    /// The first instant of working day `x` with `r` (1..=S) working seconds of the day worked:
    /// `r` seconds into its windows (scaled on a day whose windows a DST switch lengthens or
    /// shortens); `r = S` is the close of the last window.
    fn point_in_day(&self, x: i64, r: i64) -> i64 {
        let mut cum = 0;
        for (j, &(_, _, l)) in self.win.iter().enumerate() {
            if r <= cum + l {
                let (o, c) = self.window(x, j);
                let off = r - cum;
                let real = c - o;
                return if real == l {
                    o + off
                } else if real <= 0 {
                    o
                } else {
                    let num = i128::from(off) * i128::from(real);
                    let l = i128::from(l);
                    o + i64::try_from((num + l - 1) / l).unwrap_or(real)
                };
            }
            cum += l;
        }
        self.window(x, self.win.len() - 1).1
    }

    /// The provisional mark for a computation that used days `x0..=x1`.
    fn provisional(&self, id: &str, x0: i64, x1: i64) -> Option<Provisional> {
        let (a, z) = self.cov?;
        let first = if x0 < a {
            x0
        } else if x1 > z {
            x0.max(z + 1)
        } else {
            return None;
        };
        Some(Provisional {
            calendar: id.to_string(),
            date: index_date(first).unwrap_or(if first < a {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            }),
            covered_from: index_date(a).unwrap_or(NaiveDate::MIN),
            covered_until: index_date(z).unwrap_or(NaiveDate::MAX),
        })
    }
}

impl Calendar {
    pub(super) fn kind_at(&self, x: i64) -> DayKind {
        self.tables.kind(x)
    }

    pub(super) fn ord(&self, x: i64) -> i64 {
        self.tables.ord(x)
    }

    pub(super) fn clock(&self, ts: i64) -> i64 {
        self.tables.clock(ts)
    }

    pub(super) fn clock_inverse(&self, w: i64) -> i64 {
        self.tables.clock_inverse(w)
    }

    /// The end of the `n`th working day after the day `t` ends (an instant at local midnight
    /// ends the day before it, as in `add`): a ladder step at `deadline + n working days`. The
    /// cutoff plays no part, since `t` is a deadline, not a receipt: the deadline's own day is
    /// never one of the `n`.
    /// `None` when that instant lies outside the instants the engine keeps.
    pub(crate) fn working_days_after(&self, t: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let tables = &self.tables;
        let ts = t.timestamp();
        let (mut x, midnight) = tables.local_day_midnight(ts);
        if midnight && t.timestamp_subsec_nanos() == 0 {
            x = tables.local_day(ts.saturating_sub(1));
        }
        let k = tables.ord(x.saturating_add(1)).saturating_add(i64::from(n)) - 1;
        kept(tables.end_of_working_day(k).0).map(|at| at.max(t))
    }

    /// The first instant with `n` working days of working time left before `t`,
    /// `W⁻¹(W(t) − n · S)` with `S` the working seconds of one working day: a ladder step at
    /// `deadline - n working days`. From a deadline at the end of a working day, that is the end
    /// of the `n`th working day before it; from one in the middle of a day, the same time of
    /// day `n` working days earlier. `None` when that instant lies before the instants the
    /// engine keeps.
    pub(crate) fn working_days_before(&self, t: DateTime<Utc>, n: u32) -> Option<DateTime<Utc>> {
        let tables = &self.tables;
        let w = tables.clock(t.timestamp()).saturating_sub(i64::from(n).saturating_mul(tables.s));
        kept(tables.clock_inverse(w)).map(|at| at.min(t))
    }

    /// Where a calendar-day limit of `n` days from `start` ends before roll-off: the end of
    /// day N after the start's day (its close when it is a working day, else its 24:00). `add`
    /// gives this instant, or, when day N is a rest day, the end of the next working day.
    pub(crate) fn calendar_days_end(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let (x0, _) = self.start_day(start, Duration::CalendarDays(n));
        let x = x0.saturating_add(i64::from(n));
        if self.kind_at(x).is_working() {
            self.close_of_day(x)
        } else {
            ts_to_utc(self.tables.local_ts(x, 86_400))
        }
    }

    /// The deadline of a calendar-day limit that ends at `end` before roll-off: `end` when the
    /// day it ends (an instant at local midnight ends the day before it) is a working day, else
    /// the end of the next working day (民法典 第二百零三条: a period whose last day is a
    /// holiday ends on the day after the holiday).
    pub(crate) fn roll_off(&self, end: DateTime<Utc>) -> DateTime<Utc> {
        let (x, _) = self.start_day(end, Duration::CalendarDays(1));
        if self.kind_at(x).is_working() {
            end
        } else {
            ts_to_utc(self.tables.end_of_working_day(self.ord(x)).0).max(end)
        }
    }

    /// The day index `start` belongs to when `duration` is counted from it: its local date, but
    /// for working and calendar days an instant at exactly local midnight is 24:00 of the day it
    /// ends (so a deadline, "the midnight that ends day N", is on day N and chaining limits is
    /// consistent). The flag says whether that rule applied.
    pub(super) fn start_day(&self, start: DateTime<Utc>, duration: Duration) -> (i64, bool) {
        let t = &self.tables;
        let ts = start.timestamp();
        let (x0, midnight) = t.local_day_midnight(ts);
        if midnight
            && start.timestamp_subsec_nanos() == 0
            && matches!(duration, Duration::WorkingDays(_) | Duration::CalendarDays(_))
        {
            (t.local_day(ts.saturating_sub(1)), true)
        } else {
            (x0, false)
        }
    }

    /// Whether a count of working days from timestamp `ts` on day `x0` counts that day as day 1:
    /// received on a working day before the cutoff (and before that day's close of business,
    /// should a cutoff be set later than closing).
    pub(super) fn counts_start_day(&self, x0: i64, ts: i64) -> bool {
        let t = &self.tables;
        t.cutoff.is_some_and(|c| {
            t.kind(x0).is_working()
                && ts < t.local_ts(x0, c)
                && ts < t.window(x0, t.win.len() - 1).1
        })
    }

    /// The working day with ordinal `k` (the `k`th working day since the epoch, from 0).
    pub(super) fn nth_working_day(&self, k: i64) -> i64 {
        self.tables.nth(k)
    }

    /// The close of working day `x` (the end of its last window): where a count ending on it
    /// ends.
    pub(super) fn close_of_day(&self, x: i64) -> DateTime<Utc> {
        ts_to_utc(self.tables.window(x, self.tables.win.len() - 1).1)
    }

    /// The opening of working day `x` (the start of its first window).
    pub(super) fn open_of_day(&self, x: i64) -> DateTime<Utc> {
        ts_to_utc(self.tables.window(x, 0).0)
    }

    /// The first instant of working day `x` with `r` (1..=S) of its working seconds worked.
    pub(super) fn point_in_day(&self, x: i64, r: i64) -> DateTime<Utc> {
        ts_to_utc(self.tables.point_in_day(x, r))
    }

    /// Working seconds of one working day (S).
    pub(super) fn day_seconds(&self) -> i64 {
        self.tables.s
    }

    /// The provisional mark for a computation that used days `x0..=x1`.
    pub(super) fn provisional_for(&self, x0: i64, x1: i64) -> Option<Provisional> {
        self.tables.provisional(&self.id, x0, x1)
    }

    /// The covered range as day indexes; `None` for an unbounded calendar.
    pub(super) fn covered_indexes(&self) -> Option<(i64, i64)> {
        self.tables.cov
    }

    /// An upper bound, in wall seconds, of how far `duration` reaches from any start: every day
    /// of the calendar's table a day off, and plain workweeks beyond it (with a week and two days
    /// to spare for the start's week and zone changes). The engine uses it to know which inputs
    /// could reach past the last instant it keeps.
    pub(crate) fn reach(&self, duration: Duration) -> i64 {
        match duration {
            Duration::Wall { seconds } => seconds.saturating_abs(),
            Duration::WorkingDays(n) => self.reach_working_days(i64::from(n)),
            Duration::WorkingHours { minutes } => self.reach_working(i64::from(minutes) * 60),
            Duration::CalendarDays(n) => {
                let t = &self.tables;
                (i64::from(n) + 7 + 2 + t.len()).saturating_mul(86_400)
            }
        }
    }

    /// As [`Calendar::reach`], for `w` seconds of working time.
    pub(crate) fn reach_working(&self, w: i64) -> i64 {
        self.reach_working_days((w / self.tables.s).saturating_add(1))
    }

    fn reach_working_days(&self, n: i64) -> i64 {
        let t = &self.tables;
        let weeks = (n / t.per_week).saturating_add(2);
        weeks.saturating_mul(7).saturating_add(t.len() + 2).saturating_mul(86_400)
    }

    pub(super) fn add_impl(
        &self,
        start: DateTime<Utc>,
        duration: Duration,
    ) -> Result<Deadline, OutOfRange> {
        let out = || OutOfRange {
            what: format!("`{duration}` from {}", crate::timefmt::rfc3339(self.tz(), start)),
        };
        if kept(start.timestamp()).is_none() {
            return Err(out());
        }
        if duration.is_zero() {
            return Ok(Deadline { at: start, provisional: None });
        }
        let t = &self.tables;
        let ts = start.timestamp();
        let (x0, _) = self.start_day(start, duration);
        let (at_ts, x1) = match duration {
            Duration::Wall { seconds } => {
                let at = TimeDelta::try_seconds(seconds)
                    .and_then(|d| start.checked_add_signed(d))
                    .and_then(|at| kept(at.timestamp()).map(|_| at))
                    .ok_or_else(out)?;
                return Ok(Deadline { at, provisional: None });
            }
            Duration::WorkingDays(n) => {
                let first = if self.counts_start_day(x0, ts) { t.ord(x0) } else { t.ord(x0 + 1) };
                // The end of working day N: W = (first + N) * S, i.e. the close of the working
                // day with ordinal first + N - 1.
                t.end_of_working_day(first + i64::from(n) - 1)
            }
            Duration::CalendarDays(n) => t.end_of_working_day(t.ord(x0 + i64::from(n))),
            Duration::WorkingHours { minutes } => {
                t.clock_inverse_day(t.clock(ts) + i64::from(minutes) * 60)
            }
        };
        let at = kept(at_ts).ok_or_else(out)?.max(start);
        let x1 = x1.max(x0);
        Ok(Deadline { at, provisional: t.provisional(&self.id, x0, x1) })
    }
}
