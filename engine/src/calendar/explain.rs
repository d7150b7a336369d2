//! Explanations: how [`Calendar::add`] reaches a deadline, as data a complaint handler can check
//! against a wall calendar — the counting rule applied, then the days from the start to the
//! deadline in runs (counted working days, each holiday or closure with its name, make-up days
//! with the holiday they bridge, weekends), and whether any of it rests on the plain workweek
//! beyond the calendar's data.
//!
//! The explanation walks the calendar's days with the same lookups `add` uses (day kinds,
//! working-day ordinals, window instants, the start-day and cutoff rules), jumping over
//! stretches without dated days, so its deadline is `add`'s (checked by property tests).

use super::{Calendar, DayKind, DayNote, Deadline, OutOfRange, Provisional, index_date};
use crate::policy::Duration;
use crate::timefmt;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Offset, Utc};
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use std::fmt;

/// How a deadline was derived from a start instant and a limit on a calendar: the rule applied,
/// the days walked from the start to the deadline, the deadline, and whether it is provisional.
///
/// Built by [`Calendar::explain`]; its deadline and provisional mark are exactly those of
/// [`Calendar::add`]. `Display` gives the short text for a complaint handler (local time of the
/// calendar); `Serialize` the same as JSON for tools (instants in RFC 3339 with the calendar's
/// offset). [`Derivation::write_text`] writes the text indented, for embedding in a larger
/// explanation.
///
/// Received Fri 13 Feb 2026 17:30 in Shanghai, 3 working days:
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::{Calendar, DayRun};
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let start: DateTime<Utc> = "2026-02-13T17:30:00+08:00".parse().unwrap();
/// let three = "3 working days".parse().unwrap();
/// let why = cn.explain(start, three).unwrap();
/// assert_eq!(why.deadline, cn.add(start, three).unwrap().at);
/// assert_eq!(why.to_string(), "\
/// 3 working days from Fri 13 Feb 2026 17:30, calendar cn-mainland (Asia/Shanghai)
///   the day of receipt, Fri 13 Feb, is not counted; the deadline is the end of working day 3 (24:00)
///   Sat 14 Feb           make-up working day for Spring Festival 春节, counted: day 1
///   Sun 15 – Mon 23 Feb  Spring Festival 春节, holiday
///   Tue 24 – Wed 25 Feb  working days 2–3
///   deadline Wed 25 Feb 2026 24:00
/// ");
/// assert!(matches!(&why.runs[1], DayRun::Skipped { note: Some(n), .. } if n.to_string().starts_with("Spring")));
/// let json = serde_json::to_value(&why).unwrap();
/// assert_eq!(json["deadline"], "2026-02-26T00:00:00+08:00");
/// assert_eq!(json["runs"][1]["note"]["name_local"], "春节");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Derivation {
    /// The calendar's id.
    pub calendar: String,
    /// The calendar's zone, in which the days are counted.
    #[serde(serialize_with = "tz_name")]
    pub timezone: Tz,
    /// The start instant.
    #[serde(serialize_with = "local_instant")]
    pub start: DateTime<Tz>,
    /// The limit.
    pub duration: Duration,
    /// The day the start belongs to (an instant at local midnight is 24:00 of the day it ends
    /// for working and calendar days).
    pub start_day: NaiveDate,
    /// The kind of that day.
    pub start_day_kind: DayKind,
    /// What the calendar's data says about that day, if anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_day_note: Option<DayNote>,
    /// The counting rule applied.
    pub rule: CountingRule,
    /// The days from the start to the deadline, in order (none for elapsed time).
    pub runs: Vec<DayRun>,
    /// The deadline (as [`Calendar::add`] gives it).
    #[serde(serialize_with = "local_instant")]
    pub deadline: DateTime<Tz>,
    /// Set when a day used lies beyond the calendar's covered range; names the first.
    pub provisional: Option<Provisional>,
}

/// The counting rule a [`Derivation`] applied (see `docs/calendars.md`, Counting conventions).
///
/// ```
/// use chrono::{DateTime, NaiveTime, Utc};
/// use ombud_engine::calendar::{Calendar, CountingRule};
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let four = NaiveTime::from_hms_opt(16, 0, 0).unwrap();
/// let bank = cn.with_overrides(Some("09:00-17:00".parse().unwrap()), None, Some(four));
/// let start: DateTime<Utc> = "2026-06-10T15:59:00+08:00".parse().unwrap();
/// let why = bank.explain(start, "1 working day".parse().unwrap()).unwrap();
/// assert_eq!(why.rule, CountingRule::WorkingDays {
///     days: 1,
///     start_day_counted: true,
///     cutoff: Some(four),
///     close: NaiveTime::from_hms_opt(17, 0, 0),
///     start_at_midnight: false,
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "counting", rename_all = "snake_case")]
pub enum CountingRule {
    /// A zero limit: the deadline is the start.
    Zero,
    /// Wall-clock time: elapsed time, the calendar plays no part.
    Elapsed,
    /// Statutory working days: day 1 is the first working day after the start's day (or that
    /// day itself, received on a working day before the cutoff); the deadline is the end of
    /// working day N.
    WorkingDays {
        /// N.
        days: u32,
        /// Whether the start's day is day 1 (received on a working day before the cutoff).
        start_day_counted: bool,
        /// The same-day cutoff, if the calendar has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        cutoff: Option<NaiveTime>,
        /// Where a working day ends: close of business at this time, or (`None`) the midnight
        /// that ends the day.
        close: Option<NaiveTime>,
        /// The start is exactly local midnight, counted as 24:00 of the day before.
        start_at_midnight: bool,
    },
    /// Calendar days: the end of the Nth day after the start's day, or, if that is not a
    /// working day, the end of the next working day.
    CalendarDays {
        /// N.
        days: u32,
        /// Whether day N is not a working day, so the deadline rolled forward.
        rolled: bool,
        /// Where a working day ends (see `WorkingDays`).
        close: Option<NaiveTime>,
        /// The start is exactly local midnight, counted as 24:00 of the day before.
        start_at_midnight: bool,
    },
    /// Working time: business-hours windows of working days, from the start instant (or the
    /// next opening).
    WorkingHours {
        /// The limit in minutes.
        minutes: u32,
        /// The business hours (`09:00-12:00,13:00-17:00`); `None`: a working day counts
        /// around the clock.
        hours: Option<String>,
        /// Working seconds in one working day.
        day_seconds: i64,
    },
}

/// A run of consecutive days of a [`Derivation`], in date order.
///
/// Ordinary weekends between counted working days are folded into the [`DayRun::Counted`] run
/// around them (`weekend_days`); weekends next to the start, a holiday or the end of the covered
/// range are their own [`DayRun::Skipped`] run, and so is every weekend beyond the covered range,
/// where the days are counted on the plain workweek.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::{Calendar, DayKind, DayRun};
/// let cn = Calendar::bundled("cn-mainland").unwrap();
/// let start: DateTime<Utc> = "2026-12-28T10:00:00+08:00".parse().unwrap();
/// let why = cn.explain(start, "7 working days".parse().unwrap()).unwrap();
/// // Tue 29 – Thu 31 Dec are days 1–3; 2027 lies beyond cn-mainland's data, so Fri 1 Jan is day
/// // 4 on the plain workweek, Sat 2 – Sun 3 Jan its weekend, Mon 4 – Wed 6 Jan days 5–7.
/// let DayRun::Counted { from, first, last, weekend_days, provisional, .. } = &why.runs[1] else {
///     panic!("a counted run")
/// };
/// assert_eq!((from.to_string(), *first, *last, *weekend_days), ("2027-01-01".into(), 4, 4, 0));
/// assert!(*provisional);
/// let DayRun::Skipped { from, to, kind: DayKind::Weekend, provisional: true, .. } = &why.runs[2]
/// else {
///     panic!("a weekend beyond the data")
/// };
/// assert_eq!((from.to_string(), to.to_string()), ("2027-01-02".into(), "2027-01-03".into()));
/// assert!(matches!(why.runs[3], DayRun::Counted { first: 5, last: 7, .. }));
/// // From a Friday, the weekend before day 1 is a run of its own.
/// let friday: DateTime<Utc> = "2026-12-25T10:00:00+08:00".parse().unwrap();
/// let why = cn.explain(friday, "1 working day".parse().unwrap()).unwrap();
/// assert!(matches!(why.runs[0], DayRun::Skipped { kind: DayKind::Weekend, .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "run", rename_all = "snake_case")]
pub enum DayRun {
    /// Working days counted.
    Counted {
        /// First day of the run (a working day).
        from: NaiveDate,
        /// Last day of the run (a working day).
        to: NaiveDate,
        /// The number of the first working day counted here, from 1.
        first: u64,
        /// The number of the last working day counted here.
        last: u64,
        /// Ordinary weekend days between `from` and `to`, not counted.
        weekend_days: u64,
        /// `workday`, or `makeup_workday` for make-up and extra working days.
        kind: DayKind,
        /// The make-up or extra working day's note.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<DayNote>,
        /// Working time counted here (working-hours limits).
        #[serde(skip_serializing_if = "Option::is_none")]
        worked: Option<Worked>,
        /// The days lie beyond the covered range (counted on the plain workweek).
        provisional: bool,
    },
    /// Days not counted: a holiday period, a closure, or a weekend.
    Skipped {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
        /// `holiday` (holidays and closures) or `weekend`.
        kind: DayKind,
        /// The holiday's or closure's note.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<DayNote>,
        /// The days lie beyond the covered range (taken from the plain workweek).
        provisional: bool,
    },
    /// Calendar days counted, worked or not: days `first` to `last` of a calendar-day limit.
    /// Days with a note (a holiday, a closure, a make-up day) are runs of their own, so a
    /// handler sees the holidays a calendar-day count goes through (they count).
    CalendarDays {
        /// The first day of the run.
        from: NaiveDate,
        /// The last day of the run.
        to: NaiveDate,
        /// The number of its first day, from 1 (the day after the start).
        first: u64,
        /// The number of its last day.
        last: u64,
        /// What the calendar's data says about these days, if anything.
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<DayNote>,
    },
}

/// Working time counted in a [`DayRun::Counted`] run of a working-hours limit.
///
/// ```
/// use chrono::{DateTime, Utc};
/// use ombud_engine::calendar::{Calendar, DayRun};
/// let de = Calendar::bundled("de-example").unwrap(); // 09:00-12:00,13:00-17:00
/// let start: DateTime<Utc> = "2026-03-05T11:00:00+01:00".parse().unwrap();
/// let why = de.explain(start, "8 working hours".parse().unwrap()).unwrap();
/// let DayRun::Counted { worked: Some(w), .. } = &why.runs[0] else { panic!() };
/// assert_eq!(w.seconds, 5 * 3600); // Thu 11:00-12:00 and 13:00-17:00
/// assert_eq!(w.since.unwrap().to_rfc3339(), "2026-03-05T11:00:00+01:00");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Worked {
    /// Working seconds counted in the run.
    pub seconds: i64,
    /// Where counting starts, when the run is one day counted from a later time than its
    /// opening (the start's day).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "local_instant_opt")]
    pub since: Option<DateTime<Tz>>,
    /// Where counting ends, when the run is one day counted up to an earlier time than its
    /// close (the deadline's day).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "local_instant_opt")]
    pub until: Option<DateTime<Tz>>,
}

fn tz_name<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

pub(crate) fn local_instant<S: Serializer>(t: &DateTime<Tz>, s: S) -> Result<S::Ok, S::Error> {
    match local_time(t) {
        Some(_) => s.serialize_str(&timefmt::rfc3339(t.timezone(), t.with_timezone(&Utc))),
        None => s.collect_str(&t.with_timezone(&Utc).to_rfc3339()),
    }
}

/// The local date and time of `t`; `None` within a day of the edges of chrono's range, where
/// the zone's offset (or the day before, for `24:00`) takes it out: such instants are written in
/// UTC.
fn local_time(t: &DateTime<Tz>) -> Option<NaiveDateTime> {
    let utc = t.naive_utc();
    let day = chrono::TimeDelta::days(1);
    utc.checked_sub_signed(day)?;
    utc.checked_add_signed(day)?;
    utc.checked_add_offset(t.offset().fix())
}

/// [`timefmt::human`], or RFC 3339 in UTC at the edges of chrono's range.
pub(crate) fn human(t: &DateTime<Tz>) -> String {
    match local_time(t) {
        Some(_) => timefmt::human(t.timezone(), t.with_timezone(&Utc)),
        None => t.with_timezone(&Utc).to_rfc3339(),
    }
}

pub(crate) fn local_instant_opt<S: Serializer>(
    t: &Option<DateTime<Tz>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => local_instant(t, s),
        None => s.serialize_none(),
    }
}

/// The date of day index `x`, clamped to chrono's range.
fn date(x: i64) -> NaiveDate {
    index_date(x).unwrap_or(if x < 0 { NaiveDate::MIN } else { NaiveDate::MAX })
}

/// How many weekends of plain workweek beyond the covered range an explanation lists one by one.
const PLAIN_WEEKS_LISTED: usize = 106;

/// Walks a calendar's days, collecting runs.
struct Walk<'c> {
    cal: &'c Calendar,
    runs: Vec<DayRun>,
    /// Working days counted so far.
    counted: i64,
}

impl<'c> Walk<'c> {
    fn new(cal: &'c Calendar) -> Self {
        Walk { cal, runs: Vec::new(), counted: 0 }
    }

    fn covered(&self, x: i64) -> bool {
        self.cal.covered_indexes().is_none_or(|(a, z)| x >= a && x <= z)
    }

    /// The first day after `x` where a stretch of plain days (no dated day, one side of the
    /// covered range's edges) ends; `None` if the plain workweek goes on for ever.
    fn next_boundary(&self, x: i64) -> Option<i64> {
        let noted = self.cal.def.notes.range(x.saturating_add(1)..).next().map(|(k, _)| *k);
        let edge = match self.cal.covered_indexes() {
            Some((a, _)) if x < a => Some(a),
            Some((_, z)) if x <= z => Some(z + 1),
            _ => None,
        };
        match (noted, edge) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn skipped(&mut self, from: i64, to: i64, kind: DayKind, note: Option<DayNote>) {
        let provisional = !self.covered(from);
        self.runs.push(DayRun::Skipped { from: date(from), to: date(to), kind, note, provisional });
    }

    fn counted(&mut self, from: i64, to: i64, n: i64, kind: DayKind, note: Option<DayNote>) {
        let provisional = !self.covered(from);
        let first = self.counted + 1;
        self.counted += n;
        self.runs.push(DayRun::Counted {
            from: date(from),
            to: date(to),
            first: u64::try_from(first).unwrap_or(0),
            last: u64::try_from(self.counted).unwrap_or(0),
            weekend_days: u64::try_from((to - from + 1) - n).unwrap_or(0),
            kind,
            note,
            worked: None,
            provisional,
        });
    }

    /// Counts the `n` working days of plain workweek from working day `first` to `last`. Inside
    /// the covered range they are one run, the ordinary weekends between them folded in; beyond
    /// it each week's working days are a run and each weekend a skipped run of its own, so a
    /// handler checking the plain workweek sees every day off (the first 106 weekends, about two
    /// years; the rest of a longer stretch is one run).
    fn plain(&mut self, first: i64, last: i64, n: i64) {
        if self.covered(first) {
            self.counted(first, last, n, DayKind::Workday, None);
            return;
        }
        let cal = self.cal;
        let (mut x, mut left) = (first, n);
        for _ in 0..PLAIN_WEEKS_LISTED {
            // The working days from `x` on that follow each other without a day off.
            let ox = cal.ord(x);
            let mut k = 1;
            while k < left && cal.nth_working_day(ox + k) == x + k {
                k += 1;
            }
            self.counted(x, x + k - 1, k, DayKind::Workday, None);
            left -= k;
            if left == 0 {
                return;
            }
            let next = cal.nth_working_day(ox + k);
            self.skipped(x + k, next - 1, DayKind::Weekend, None);
            x = next;
        }
        self.counted(x, last, left, DayKind::Workday, None);
    }

    /// Counts the calendar days `first` to `last` (days 1 to N of a calendar-day limit): one run
    /// per stretch of days without a note, one per stretch of days with the same note.
    fn calendar_days(&mut self, first: i64, last: i64) {
        let cal = self.cal;
        let number = |x: i64| u64::try_from(x - first + 1).unwrap_or(0);
        let push = |runs: &mut Vec<DayRun>, a: i64, b: i64, note: Option<DayNote>| {
            runs.push(DayRun::CalendarDays {
                from: date(a),
                to: date(b),
                first: number(a),
                last: number(b),
                note,
            });
        };
        let mut x = first;
        while x <= last {
            match cal.def.notes.get(&x) {
                Some(note) => {
                    let mut y = x;
                    while y < last
                        && cal.def.notes.get(&(y + 1)) == Some(note)
                        && cal.kind_at(y + 1) == cal.kind_at(x)
                    {
                        y += 1;
                    }
                    push(&mut self.runs, x, y, Some(note.clone()));
                    x = y + 1;
                }
                None => {
                    let next = cal.def.notes.range(x..=last).next().map_or(last + 1, |(k, _)| *k);
                    push(&mut self.runs, x, next - 1, None);
                    x = next;
                }
            }
        }
    }

    /// Counts `n` (at least 1) working days from day `x` on (`x` included); returns the last.
    fn days(&mut self, mut x: i64, n: i64) -> i64 {
        let cal = self.cal;
        let mut remaining = n.max(1);
        loop {
            if let Some(note) = cal.def.notes.get(&x) {
                // A run of days with the same note and kind (a holiday period, a closure, …).
                let kind = cal.kind_at(x);
                let working = kind.is_working();
                let mut y = x;
                while (!working || y - x + 1 < remaining)
                    && cal.def.notes.get(&(y + 1)) == Some(note)
                    && cal.kind_at(y + 1) == kind
                {
                    y += 1;
                }
                if working {
                    self.counted(x, y, y - x + 1, kind, Some(note.clone()));
                    remaining -= y - x + 1;
                    if remaining == 0 {
                        return y;
                    }
                } else {
                    self.skipped(x, y, kind, Some(note.clone()));
                }
                x = y + 1;
                continue;
            }
            // A stretch of plain workweek days up to the next boundary.
            let boundary = self.next_boundary(x);
            let ox = cal.ord(x);
            let take = match boundary {
                Some(b) => remaining.min((cal.ord(b) - ox).max(0)),
                None => remaining,
            };
            match boundary {
                Some(b) if take == 0 => {
                    self.skipped(x, b - 1, DayKind::Weekend, None);
                    x = b;
                    continue;
                }
                _ => {}
            }
            let first = cal.nth_working_day(ox);
            let last = cal.nth_working_day(ox + take - 1);
            if first > x {
                self.skipped(x, first - 1, DayKind::Weekend, None);
            }
            self.plain(first, last, take);
            remaining -= take;
            match boundary {
                Some(b) if remaining > 0 => {
                    if last + 1 < b {
                        self.skipped(last + 1, b - 1, DayKind::Weekend, None);
                    }
                    x = b;
                }
                _ => return last,
            }
        }
    }
}

impl Calendar {
    /// How [`Calendar::add`] reaches the deadline for `start` and `duration`: the counting rule,
    /// the days walked (counted working days in runs, each holiday, closure and weekend skipped,
    /// make-up days with the holiday they bridge) and whether the result is provisional. Its
    /// deadline and provisional mark are those of `add`, and so is its [`OutOfRange`]: a deadline
    /// after 9999 is refused before any day is walked.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let start: DateTime<Utc> = "2026-09-21T10:00:00+08:00".parse().unwrap();
    /// let why = cn.explain(start, "10 calendar days".parse().unwrap()).unwrap();
    /// assert_eq!(why.to_string(), "\
    /// 10 calendar days from Mon 21 Sep 2026 10:00, calendar cn-mainland (Asia/Shanghai)
    ///   day 1 is the day after the start; day 10 is not a working day, so the deadline is the end of the next working day (24:00)
    ///   Tue 22 – Thu 24 Sep  calendar days 1–3
    ///   Fri 25 – Sun 27 Sep  calendar days 4–6, Mid-Autumn Festival 中秋节, holiday (counted)
    ///   Mon 28 – Wed 30 Sep  calendar days 7–9
    ///   Thu 1 Oct            calendar day 10, National Day 国庆节, holiday (counted)
    ///   Fri 2 – Wed 7 Oct    National Day 国庆节, holiday — day 10 is a rest day: rolled on
    ///   Thu 8 Oct            the next working day
    ///   deadline Thu 8 Oct 2026 24:00
    /// ");
    /// ```
    pub fn explain(
        &self,
        start: DateTime<Utc>,
        duration: Duration,
    ) -> Result<Derivation, OutOfRange> {
        let deadline = self.add(start, duration)?;
        let tz = self.tz();
        let (x0, at_midnight) = self.start_day(start, duration);
        let close = self.business_hours().and_then(|h| h.close()).filter(|c| *c != NaiveTime::MIN);
        let mut walk = Walk::new(self);
        let (rule, at, x1) = match duration {
            _ if duration.is_zero() => (CountingRule::Zero, start, None),
            Duration::Wall { .. } => (CountingRule::Elapsed, deadline.at, None),
            Duration::WorkingDays(n) => {
                let counted = self.counts_start_day(x0, start.timestamp());
                let first = if counted { x0 } else { x0 + 1 };
                let last = walk.days(first, i64::from(n));
                let rule = CountingRule::WorkingDays {
                    days: n,
                    start_day_counted: counted,
                    cutoff: self.cutoff(),
                    close,
                    start_at_midnight: at_midnight,
                };
                (rule, self.close_of_day(last), Some(last))
            }
            Duration::CalendarDays(n) => {
                let target = x0 + i64::from(n);
                walk.calendar_days(x0 + 1, target);
                // Day N a rest day: the days after it up to the next working day.
                let rolled = !self.kind_at(target).is_working();
                let last = if rolled { walk.days(target + 1, 1) } else { target };
                let rule = CountingRule::CalendarDays {
                    days: n,
                    rolled,
                    close,
                    start_at_midnight: at_midnight,
                };
                (rule, self.close_of_day(last), Some(last))
            }
            Duration::WorkingHours { minutes } => {
                let (at, last) = self.walk_hours(&mut walk, start, x0, i64::from(minutes) * 60);
                let rule = CountingRule::WorkingHours {
                    minutes,
                    hours: self.business_hours().map(ToString::to_string),
                    day_seconds: self.day_seconds(),
                };
                (rule, at, Some(last))
            }
        };
        let at = at.max(start);
        Ok(Derivation {
            calendar: self.id().to_string(),
            timezone: tz,
            start: start.with_timezone(&tz),
            duration,
            start_day: date(x0),
            start_day_kind: self.kind_at(x0),
            start_day_note: self.def.notes.get(&x0).cloned(),
            rule,
            runs: walk.runs,
            deadline: at.with_timezone(&tz),
            provisional: x1.and_then(|x1| self.provisional_for(x0, x1.max(x0))),
        })
    }

    /// Walks a working-hours budget of `budget` seconds from `start` (on day `x0`): the part of
    /// the start's day left, whole working days, and the part of the last day needed. Returns
    /// the deadline and its day.
    fn walk_hours(
        &self,
        walk: &mut Walk<'_>,
        start: DateTime<Utc>,
        x0: i64,
        budget: i64,
    ) -> (DateTime<Utc>, i64) {
        let s = self.day_seconds();
        // Working seconds of the start's day already behind the start.
        let done = self.working_clock(start) - self.ord(x0) * s;
        let left = if self.kind_at(x0).is_working() { s - done } else { 0 };
        let since = |x: i64| Some(start.max(self.open_of_day(x)).with_timezone(&self.tz()));
        let worked = |seconds, since, until| Some(Worked { seconds, since, until });
        if left >= budget {
            let at = self.point_in_day(x0, done + budget);
            walk.counted(x0, x0, 1, self.kind_at(x0), self.def.notes.get(&x0).cloned());
            set_worked(walk, worked(budget, since(x0), Some(at.with_timezone(&self.tz()))));
            return (at, x0);
        }
        if left > 0 {
            walk.counted(x0, x0, 1, self.kind_at(x0), self.def.notes.get(&x0).cloned());
            set_worked(walk, worked(left, since(x0), None));
        }
        let remaining = budget - left;
        let days = (remaining + s - 1) / s;
        let tail = remaining - (days - 1) * s;
        let before = walk.runs.len();
        let last = walk.days(x0 + 1, days);
        let at = self.point_in_day(last, tail);
        // Whole days count S each; a part day at the end is a run of its own.
        for run in &mut walk.runs[before..] {
            if let DayRun::Counted { first, last, worked: w, .. } = run {
                let n = i64::try_from(*last - *first + 1).unwrap_or(0);
                *w = worked(n.saturating_mul(s), None, None);
            }
        }
        if tail < s {
            self.split_last_day(walk, last);
            set_worked(walk, worked(tail, None, Some(at.with_timezone(&self.tz()))));
        }
        (at, last)
    }

    /// Splits working day `x`, the last day of the last (counted) run, into a run of its own.
    fn split_last_day(&self, walk: &mut Walk<'_>, x: i64) {
        let Some(DayRun::Counted { from, first, last, kind, note, provisional, worked, .. }) =
            walk.runs.last().cloned()
        else {
            return;
        };
        if first == last {
            return;
        }
        let prev = self.nth_working_day(self.ord(x) - 1);
        let n = last - first;
        if let Some(DayRun::Counted { to, last: l, weekend_days, worked: w, .. }) =
            walk.runs.last_mut()
        {
            *to = date(prev);
            *l = last - 1;
            let span = u64::try_from(prev - super::day_index(from) + 1).unwrap_or(0);
            *weekend_days = span.saturating_sub(n);
            let s = self.day_seconds();
            *w = worked.map(|_| Worked {
                seconds: i64::try_from(n).unwrap_or(0).saturating_mul(s),
                since: None,
                until: None,
            });
        }
        if prev + 1 < x {
            walk.skipped(prev + 1, x - 1, DayKind::Weekend, None);
        }
        walk.runs.push(DayRun::Counted {
            from: date(x),
            to: date(x),
            first: last,
            last,
            weekend_days: 0,
            kind,
            note,
            worked: None,
            provisional,
        });
    }
}

/// Sets the working time of the last run.
fn set_worked(walk: &mut Walk<'_>, worked: Option<Worked>) {
    if let Some(DayRun::Counted { worked: w, .. }) = walk.runs.last_mut() {
        *w = worked;
    }
}

impl Derivation {
    /// The deadline as [`Calendar::add`] returns it.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let start: DateTime<Utc> = "2026-12-28T10:00:00+08:00".parse().unwrap();
    /// let seven = "7 working days".parse().unwrap();
    /// assert_eq!(cn.explain(start, seven).unwrap().result(), cn.add(start, seven).unwrap());
    /// ```
    pub fn result(&self) -> Deadline {
        Deadline { at: self.deadline.with_timezone(&Utc), provisional: self.provisional.clone() }
    }

    /// Writes the text form, each line starting with `indent`: a header, the rule, one line per
    /// run, the deadline and, if any, the provisional mark. For embedding in a larger
    /// explanation.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let w = Calendar::bundled("weekdays").unwrap();
    /// let start: DateTime<Utc> = "2026-03-06T12:00:00Z".parse().unwrap();
    /// let mut out = String::from("handling:\n");
    /// w.explain(start, "1 working day".parse().unwrap()).unwrap().write_text(&mut out, "    ").unwrap();
    /// assert_eq!(out, "\
    /// handling:
    ///     1 working day from Fri 6 Mar 2026 12:00, calendar weekdays (UTC)
    ///       the day of receipt, Fri 6 Mar, is not counted; the deadline is the end of working day 1 (24:00)
    ///       Sat 7 – Sun 8 Mar  weekend
    ///       Mon 9 Mar          working day 1
    ///       deadline Mon 9 Mar 2026 24:00
    /// ");
    /// ```
    pub fn write_text(&self, out: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        let tz = self.timezone;
        writeln!(
            out,
            "{indent}{} from {}, calendar {} ({})",
            self.duration,
            human(&self.start),
            self.calendar,
            tz.name()
        )?;
        writeln!(out, "{indent}  {}", self.rule_text(false))?;
        self.write_runs(out, &format!("{indent}  "))
    }

    /// Writes the derivation of a limit counted on from a deadline (an extension's `by:`), each
    /// line starting with `indent`: the rule as it applies to a deadline (the day it ends is not
    /// counted), one line per run, the new deadline and, if any, the provisional mark.
    ///
    /// ```
    /// use chrono::{DateTime, Utc};
    /// use ombud_engine::calendar::Calendar;
    /// let cn = Calendar::bundled("cn-mainland").unwrap();
    /// let deadline: DateTime<Utc> = "2026-02-28T00:00:00+08:00".parse().unwrap();
    /// let mut out = String::new();
    /// cn.explain(deadline, "2 working days".parse().unwrap()).unwrap().write_counted_on(&mut out, "").unwrap();
    /// assert_eq!(out, "\
    /// the deadline is 24:00, the end of Fri 27 Feb: counting starts the day after; the new deadline is the end of added working day 2 (24:00)
    /// Sat 28 Feb  make-up working day for Spring Festival 春节, counted: day 1
    /// Sun 1 Mar   weekend
    /// Mon 2 Mar   working day 2
    /// deadline Mon 2 Mar 2026 24:00
    /// ");
    /// ```
    pub fn write_counted_on(&self, out: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        writeln!(out, "{indent}{}", self.rule_text(true))?;
        self.write_runs(out, indent)
    }

    /// One line per run, the deadline, the provisional mark.
    fn write_runs(&self, out: &mut impl fmt::Write, indent: &str) -> fmt::Result {
        let year = self.start_day.year();
        let rows: Vec<(String, String)> = self
            .runs
            .iter()
            .map(|run| match run {
                DayRun::Counted { from, to, .. }
                | DayRun::Skipped { from, to, .. }
                | DayRun::CalendarDays { from, to, .. } => {
                    (range_label(*from, *to, year), self.run_text(run))
                }
            })
            .collect();
        let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        for (label, text) in rows {
            let pad = width - label.chars().count();
            writeln!(out, "{indent}{label}{:pad$}  {text}", "")?;
        }
        writeln!(out, "{indent}deadline {}", human(&self.deadline))?;
        if let Some(p) = &self.provisional {
            writeln!(out, "{indent}provisional: {p}")?;
        }
        Ok(())
    }

    /// The counting rule in words; `from_deadline`: as it applies to a limit counted on from a
    /// deadline rather than from a receipt.
    fn rule_text(&self, from_deadline: bool) -> String {
        let end = |close: &Option<NaiveTime>| match close {
            Some(c) => format!("close of business, {}", c.format("%H:%M")),
            None => "24:00".to_string(),
        };
        let day = self.start_day.format("%a %-d %b");
        let note = match &self.start_day_note {
            Some(n) => format!(" ({n})"),
            None => String::new(),
        };
        match &self.rule {
            CountingRule::Zero => "a zero limit ends where it starts".into(),
            CountingRule::Elapsed => "elapsed time: the calendar plays no part".into(),
            CountingRule::WorkingDays {
                days,
                start_day_counted,
                cutoff,
                close,
                start_at_midnight,
            } => {
                let local = local_time(&self.start).map_or(NaiveTime::MIN, |t| t.time());
                let first = match (start_day_counted, cutoff) {
                    (true, _) if from_deadline => format!(
                        "the deadline falls on a working day before the cutoff{}: {day} is day 1",
                        cutoff.map(|c| format!(" {}", c.format("%H:%M"))).unwrap_or_default()
                    ),
                    _ if from_deadline && *start_at_midnight => format!(
                        "the deadline is 24:00, the end of {day}{note}: counting starts the day after"
                    ),
                    _ if from_deadline => {
                        format!("the day the deadline falls on, {day}{note}, is not counted")
                    }
                    (true, _) => format!(
                        "received on a working day before the cutoff{}: {day} is day 1",
                        cutoff.map(|c| format!(" {}", c.format("%H:%M"))).unwrap_or_default()
                    ),
                    _ if *start_at_midnight => {
                        format!(
                            "received at 24:00, the end of {day}{note}: that day is not counted"
                        )
                    }
                    (false, Some(c)) if self.start_day_kind.is_working() && local >= *c => format!(
                        "received at or after the cutoff {}: the day of receipt, {day}, is not counted",
                        c.format("%H:%M")
                    ),
                    (false, Some(_)) if self.start_day_kind.is_working() => format!(
                        "received after close of business: the day of receipt, {day}, is not counted"
                    ),
                    _ => format!("the day of receipt, {day}{note}, is not counted"),
                };
                let which = if from_deadline {
                    "the new deadline is the end of added"
                } else {
                    "the deadline is the end of"
                };
                format!("{first}; {which} working day {days} ({})", end(close))
            }
            CountingRule::CalendarDays { days, rolled, close, .. } => {
                let (origin, new) =
                    if from_deadline { ("deadline", "new ") } else { ("start", "") };
                if *rolled {
                    format!(
                        "day 1 is the day after the {origin}; day {days} is not a working day, so the \
                         {new}deadline is the end of the next working day ({})",
                        end(close)
                    )
                } else {
                    format!(
                        "day 1 is the day after the {origin}; the {new}deadline is the end of day {days}, \
                         a working day ({})",
                        end(close)
                    )
                }
            }
            CountingRule::WorkingHours { hours, day_seconds, .. } => {
                let per_day = Duration::Wall { seconds: *day_seconds };
                match hours {
                    Some(h) => format!(
                        "working time counts in business hours {h} of working days ({per_day} a day)"
                    ),
                    None => {
                        format!(
                            "working time counts around the clock on working days ({per_day} a day)"
                        )
                    }
                }
            }
        }
    }

    fn run_text(&self, run: &DayRun) -> String {
        let hm = |t: &DateTime<Tz>| {
            local_time(t).map_or_else(String::new, |t| t.format("%H:%M").to_string())
        };
        let beyond = |p: bool| if p { ", no holiday data (plain workweek)" } else { "" };
        let numbers = |first: u64, last: u64, one: &str, many: &str| {
            if first == last {
                format!("{one} {first}")
            } else {
                format!("{many} {first}–{last}")
            }
        };
        match run {
            DayRun::CalendarDays { first, last, note, .. } => {
                let days = numbers(*first, *last, "calendar day", "calendar days");
                match note {
                    Some(n @ (DayNote::MakeupWorkday { .. } | DayNote::ExtraWorkday { .. })) => {
                        format!("{days}, {n}")
                    }
                    Some(n) => format!("{days}, {n} (counted)"),
                    None => days,
                }
            }
            DayRun::Skipped { kind, note, provisional, .. } => {
                let what = match note {
                    Some(n) => n.to_string(),
                    None => kind.as_str().replace('_', " "),
                };
                // After a calendar-day count, the days its last day rolled on over.
                let rolled = match &self.rule {
                    CountingRule::CalendarDays { days, .. } => {
                        format!(" — day {days} is a rest day: rolled on")
                    }
                    _ => String::new(),
                };
                format!("{what}{}{rolled}", beyond(*provisional))
            }
            DayRun::Counted { first, last, note, worked, provisional, .. } => {
                let what = match (&self.rule, worked, note) {
                    (CountingRule::CalendarDays { .. }, _, None) => "the next working day".into(),
                    (CountingRule::CalendarDays { .. }, _, Some(n)) => {
                        format!("{n}: the next working day")
                    }
                    (_, Some(w), note) => {
                        let time = Duration::Wall { seconds: w.seconds };
                        let days = last - first + 1;
                        let span = match (&w.since, &w.until) {
                            (Some(a), Some(b)) => format!("{}–{}: {time}", hm(a), hm(b)),
                            (Some(a), None) => format!("from {}: {time}", hm(a)),
                            (None, Some(b)) => format!("until {}: {time}", hm(b)),
                            (None, None) if days == 1 => format!("{time}"),
                            (None, None) => format!("{days} working days, {time}",),
                        };
                        match note {
                            Some(n) => format!("{n}, {span}"),
                            None => span,
                        }
                    }
                    (_, None, Some(n)) => {
                        format!("{n}, counted: {}", numbers(*first, *last, "day", "days"))
                    }
                    (_, None, None) => numbers(*first, *last, "working day", "working days"),
                };
                format!("{what}{}", beyond(*provisional))
            }
        }
    }
}

impl fmt::Display for Derivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_text(f, "")
    }
}

/// `Sat 14 Feb`, `Sun 15 – Mon 23 Feb`, `Sat 28 Feb – Mon 2 Mar`; with the year when a day lies
/// in another year than `year`.
fn range_label(from: NaiveDate, to: NaiveDate, year: i32) -> String {
    let with_year = from.year() != year || to.year() != year;
    let y = |d: NaiveDate| if with_year { format!(" {}", d.year()) } else { String::new() };
    if from == to {
        format!("{}{}", from.format("%a %-d %b"), y(from))
    } else if (from.year(), from.month()) == (to.year(), to.month()) {
        format!("{} – {}{}", from.format("%a %-d"), to.format("%a %-d %b"), y(to))
    } else if from.year() == to.year() {
        format!("{} – {}{}", from.format("%a %-d %b"), to.format("%a %-d %b"), y(to))
    } else {
        format!("{}{} – {}{}", from.format("%a %-d %b"), y(from), to.format("%a %-d %b"), y(to))
    }
}
