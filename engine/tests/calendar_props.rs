//! Property tests of the calendar arithmetic on the bundled calendars.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use ombud_engine::calendar::Calendar;
use ombud_engine::policy::Duration;
use proptest::prelude::*;
use std::sync::Arc;

const IDS: [&str; 4] = ["cn-mainland", "de-example", "weekdays", "example-utility"];

#[allow(clippy::unwrap_used)] // test helper: the bundled calendars always load
fn cal(i: usize) -> Arc<Calendar> {
    Calendar::bundled(IDS[i % IDS.len()]).unwrap()
}

/// Instants from mid-2023 to mid-2027 (inside, around and beyond coverage), often on round
/// minutes and midnights, where edge cases live.
#[allow(clippy::unwrap_used)] // test helper: timestamps in range
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = 1_685_577_600i64; // 2023-06-01
    let hi = 1_814_400_000i64; // 2027-07-01
    prop_oneof![
        (lo..hi).prop_map(|s| s),
        (lo / 60..hi / 60).prop_map(|m| m * 60),
        (lo / 3600..hi / 3600).prop_map(|h| h * 3600),
    ]
    .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

/// Instants from 1990 to 2100: across the edges of every precomputed table.
#[allow(clippy::unwrap_used)] // test helper: timestamps in range
fn wide_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (631_152_000i64 / 60..4_102_444_800i64 / 60)
        .prop_map(|m| DateTime::from_timestamp(m * 60, 0).unwrap())
}

/// Any instant chrono can represent.
#[allow(clippy::unwrap_used)] // test helper: timestamps in range
fn any_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp())
        .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u32..300).prop_map(Duration::WorkingDays),
        (0u32..400).prop_map(Duration::CalendarDays),
        (0u32..20_000).prop_map(|m| Duration::WorkingHours { minutes: m }),
        (0i64..10_000_000).prop_map(|s| Duration::Wall { seconds: s }),
    ]
}

fn local_date(c: &Calendar, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&c.tz()).date_naive()
}

/// The day a start instant belongs to: an instant at exactly local midnight is 24:00 of the day
/// it ends.
fn start_day(c: &Calendar, s: DateTime<Utc>) -> NaiveDate {
    let before = local_date(c, s - TimeDelta::seconds(1));
    if before < local_date(c, s) { before } else { local_date(c, s) }
}

proptest! {
    #[test]
    fn results_never_go_backwards(i in 0usize..4, s in instant(), d in duration()) {
        let c = cal(i);
        // A deadline the engine keeps (up to 9999-12-31T23:59:59Z), or refused.
        if let Ok(r) = c.add(s, d) {
            prop_assert!(r.at >= s && r.at.timestamp() <= 253_402_300_799);
        }
    }

    #[test]
    fn counting_working_days_gives_n(i in 0usize..4, s in instant(), n in 1u32..300) {
        let c = cal(i);
        let at = c.add(s, Duration::WorkingDays(n)).unwrap().at;
        // Day 1 is the day after the start's day …
        let first = start_day(&c, s).succ_opt().unwrap();
        // … and the last day counted is the one the deadline ends.
        let last = local_date(&c, at - TimeDelta::seconds(1));
        prop_assert!(c.is_working_day(last));
        prop_assert_eq!(c.working_days_between(first, last), i64::from(n));
    }

    #[test]
    fn working_clock_is_monotonic_and_inverts(i in 0usize..4, a in instant(), b in instant()) {
        let c = cal(i);
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(c.working_clock(a) <= c.working_clock(b));
        let w = c.working_clock(a);
        let back = c.at_working_clock(w).unwrap();
        prop_assert!(back <= a);
        prop_assert_eq!(c.working_clock(back), w);
    }

    #[test]
    fn inverse_then_clock_is_identity(i in 0usize..4, s in instant(), off in 0i64..40_000_000) {
        let c = cal(i);
        let w = c.working_clock(s) + off;
        let t = c.at_working_clock(w).unwrap();
        prop_assert_eq!(c.working_clock(t), w);
        // It is the first such instant.
        prop_assert!(c.working_clock(t - TimeDelta::seconds(1)) < w);
    }

    #[test]
    fn working_hours_add_in_two_steps(
        i in 0usize..4, s in instant(), a in 1u32..5_000, b in 1u32..5_000,
    ) {
        let c = cal(i);
        let wh = |m| Duration::WorkingHours { minutes: m };
        let once = c.add(s, wh(a + b)).unwrap().at;
        let twice = c.add(c.add(s, wh(a)).unwrap().at, wh(b)).unwrap().at;
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn working_days_add_in_two_steps_from_a_day_end(
        i in 0usize..4, s in instant(), a in 1u32..100, b in 1u32..100,
    ) {
        let c = cal(i);
        let end = c.add(s, Duration::WorkingDays(a)).unwrap().at; // a day end
        let once = c.add(end, Duration::WorkingDays(b)).unwrap().at;
        let twice = c.add(s, Duration::WorkingDays(a + b)).unwrap().at;
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn provisional_exactly_when_beyond_coverage(s in instant(), n in 1u32..300) {
        let c = cal(0);
        let r = c.add(s, Duration::WorkingDays(n)).unwrap();
        let (from, to) = c.coverage();
        let first = start_day(&c, s);
        let last = local_date(&c, r.at - TimeDelta::seconds(1));
        let inside = first >= from && last <= to;
        prop_assert_eq!(r.provisional.is_none(), inside, "{:?} {} {}", r, first, last);
    }

    #[test]
    fn tables_join_the_plain_workweek_seamlessly(
        i in 0usize..4, a in wide_instant(), b in wide_instant(), n in 1u32..300,
    ) {
        let c = cal(i);
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(c.working_clock(a) <= c.working_clock(b));
        let w = c.working_clock(a);
        prop_assert_eq!(c.working_clock(c.at_working_clock(w).unwrap()), w);
        let at = c.add(a, Duration::WorkingDays(n)).unwrap().at;
        let first = start_day(&c, a).succ_opt().unwrap();
        let last = local_date(&c, at - TimeDelta::seconds(1));
        prop_assert_eq!(c.working_days_between(first, last), i64::from(n));
    }

    #[test]
    fn no_panic_anywhere(i in 0usize..4, s in any_instant(), d in duration(), w in any::<i64>()) {
        let c = cal(i);
        // A deadline the engine keeps (up to 9999-12-31T23:59:59Z), or refused.
        if let Ok(r) = c.add(s, d) {
            prop_assert!(r.at >= s && r.at.timestamp() <= 253_402_300_799);
        }
        let _ = c.working_clock(s);
        let _ = c.at_working_clock(w);
        let _ = c.day_kind(s.date_naive());
    }
}
