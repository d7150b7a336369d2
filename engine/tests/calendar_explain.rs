//! Explanations of deadlines (`Calendar::explain`): they agree with `Calendar::add` exactly, and
//! their runs of days are what the calendar says, day by day, on every bundled calendar.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use ombud_engine::calendar::{Calendar, CountingRule, DayKind, DayNote, DayRun, Derivation};
use ombud_engine::policy::Duration;
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"
);

/// The bundled calendars, the 2027 fixture, and two with business hours and a cutoff.
fn calendars() -> &'static [Arc<Calendar>] {
    static ALL: OnceLock<Vec<Arc<Calendar>>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<Arc<Calendar>> =
            Calendar::bundled_ids().iter().map(|id| Calendar::bundled(id).unwrap()).collect();
        all.push(Calendar::resolve(FIXTURE, None).unwrap());
        let four = NaiveTime::from_hms_opt(16, 0, 0);
        let bank =
            all[0].with_overrides(Some("09:00-12:00,13:30-18:00".parse().unwrap()), None, four);
        all.push(Arc::new(bank));
        let late = all[2].with_overrides(None, None, NaiveTime::from_hms_opt(20, 0, 0));
        all.push(Arc::new(late)); // de-example, cutoff after its close
        all
    })
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn plain(cal: &Calendar, day: NaiveDate) -> DayKind {
    // Every calendar here works Monday to Friday.
    let _ = cal;
    if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        DayKind::Weekend
    } else {
        DayKind::Workday
    }
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |x| *x <= to)
}

/// The runs say what the calendar says: contiguous, each day of the kind and note given, counted
/// days numbered 1, 2, … without gaps, the last run ending on the deadline's day.
fn check_runs(cal: &Calendar, why: &Derivation) -> Result<(), TestCaseError> {
    let mut next: Option<NaiveDate> = None;
    let mut counted = 0u64;
    let mut calendar_days = 0u64;
    let mut worked = 0i64;
    for run in &why.runs {
        match run {
            DayRun::CalendarDays { from, to, first, last, note } => {
                // Days 1..N, each day once, in runs that start the day after the start's day.
                let expected = next.unwrap_or_else(|| why.start_day.succ_opt().unwrap());
                prop_assert_eq!(*from, expected, "runs are contiguous: {:?}", why.runs);
                prop_assert_eq!(*first, calendar_days + 1);
                prop_assert_eq!(
                    (*to - *from).num_days() + 1,
                    i64::try_from(last - first + 1).unwrap()
                );
                for day in days(*from, *to) {
                    prop_assert_eq!(cal.day_note(day), note.as_ref(), "{}", day);
                }
                calendar_days = *last;
                next = to.succ_opt();
            }
            DayRun::Skipped { from, to, kind, note, provisional } => {
                if let Some(n) = next {
                    prop_assert_eq!(*from, n, "runs are contiguous: {:?}", why.runs);
                }
                for day in days(*from, *to) {
                    prop_assert_eq!(cal.day_kind(day), *kind, "{}", day);
                    prop_assert_eq!(cal.day_note(day), note.as_ref(), "{}", day);
                    prop_assert_eq!(!cal.covers(day), *provisional);
                }
                next = to.succ_opt();
            }
            DayRun::Counted {
                from,
                to,
                first,
                last,
                weekend_days,
                kind,
                note,
                worked: w,
                provisional,
            } => {
                if let Some(n) = next {
                    prop_assert_eq!(*from, n, "runs are contiguous: {:?}", why.runs);
                }
                prop_assert_eq!(*first, counted + 1);
                counted = *last;
                let working = cal.working_days_between(*from, *to);
                prop_assert_eq!(working, i64::try_from(last - first + 1).unwrap());
                prop_assert_eq!(
                    (*to - *from).num_days() + 1,
                    working + i64::try_from(*weekend_days).unwrap()
                );
                prop_assert!(cal.is_working_day(*from) && cal.is_working_day(*to));
                for day in days(*from, *to) {
                    let k = cal.day_kind(day);
                    prop_assert!(k == *kind || k == DayKind::Weekend, "{} is {}", day, k);
                    prop_assert_eq!(cal.day_note(day), note.as_ref(), "{}", day);
                    prop_assert_eq!(!cal.covers(day), *provisional);
                }
                if let Some(w) = w {
                    worked += w.seconds;
                }
                next = to.succ_opt();
            }
        }
    }
    match (&why.rule, why.runs.last()) {
        (CountingRule::WorkingDays { days, .. }, Some(DayRun::Counted { to, .. })) => {
            prop_assert_eq!(counted, u64::from(*days));
            let end = why.deadline.with_timezone(&cal.tz());
            let end_day = (end - TimeDelta::seconds(1)).date_naive();
            prop_assert!(*to == end_day || *to == end.date_naive());
        }
        (CountingRule::CalendarDays { days, .. }, _) => {
            prop_assert_eq!(calendar_days, u64::from(*days), "every calendar day counted once");
        }
        (CountingRule::WorkingHours { minutes, .. }, _) => {
            prop_assert_eq!(worked, i64::from(*minutes) * 60);
        }
        (CountingRule::WorkingDays { .. }, last) => {
            prop_assert!(false, "working days end on a counted run, not {:?}", last)
        }
        _ => {}
    }
    Ok(())
}

/// Instants from mid-2023 to 2028 (before, inside and beyond every covered range), often on
/// round minutes and local midnights.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = 1_685_577_600i64; // 2023-06-01
    let hi = 1_830_297_600i64; // 2028-01-01
    prop_oneof![
        (lo..hi).prop_map(|s| s),
        (lo / 60..hi / 60).prop_map(|m| m * 60),
        (lo / 3600..hi / 3600).prop_map(|h| h * 3600),
        (lo / 86_400..hi / 86_400).prop_map(|d| d * 86_400 - 8 * 3600),
    ]
    .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u32..400).prop_map(Duration::WorkingDays),
        (0u32..400).prop_map(Duration::CalendarDays),
        (0u32..30_000).prop_map(|m| Duration::WorkingHours { minutes: m }),
        (0i64..10_000_000).prop_map(|s| Duration::Wall { seconds: s }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_explanation_reaches_adds_deadline(i in 0usize..7, s in instant(), d in duration()) {
        let cal = &calendars()[i % calendars().len()];
        let why = cal.explain(s, d).unwrap();
        prop_assert_eq!(why.result(), cal.add(s, d).unwrap());
        check_runs(cal, &why)?;
    }

    #[test]
    fn no_panic_and_the_same_deadline_far_away(
        i in 0usize..7,
        s in (-60_000_000_000i64..200_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        n in 1u32..5_000,
    ) {
        let cal = &calendars()[i % calendars().len()];
        for d in [Duration::WorkingDays(n), Duration::CalendarDays(n), Duration::WorkingHours { minutes: n * 60 }] {
            prop_assert_eq!(cal.explain(s, d).unwrap().result(), cal.add(s, d).unwrap());
        }
    }
}

#[test]
fn the_largest_limits_at_the_edges_of_time_are_refused() {
    for cal in calendars() {
        for s in
            [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, t("2026-02-13T17:30:00+08:00")]
        {
            for d in [
                Duration::WorkingDays(u32::MAX),
                Duration::CalendarDays(u32::MAX),
                Duration::WorkingHours { minutes: u32::MAX },
                Duration::Wall { seconds: i64::MAX },
            ] {
                // Each ends after 9999: refused, as `add` refuses it, before any day is walked.
                let refused = cal.explain(s, d).unwrap_err();
                assert_eq!(Err(refused), cal.add(s, d));
            }
        }
    }
}

#[test]
fn every_dated_day_has_a_note_and_no_other_day_does() {
    for cal in calendars() {
        let (from, to) = cal.coverage();
        if from == NaiveDate::MIN {
            continue;
        }
        for day in days(from, to) {
            let dated = cal.day_kind(day) != plain(cal, day);
            assert_eq!(cal.day_note(day).is_some(), dated, "{} {day}", cal.id());
        }
    }
}

/// The Spring Festival of 2026, 15 working days from Mon 9 Feb (the bundled scenario's span):
/// the holiday and both make-up Saturdays are named.
#[test]
fn spring_festival_names_the_holiday_and_both_make_up_saturdays() {
    let cn = Calendar::bundled("cn-mainland").unwrap();
    let why = cn.explain(t("2026-02-09T10:00:00+08:00"), Duration::WorkingDays(15)).unwrap();
    assert_eq!(
        why.to_string(),
        "\
15 working days from Mon 9 Feb 2026 10:00, calendar cn-mainland (Asia/Shanghai)
  the day of receipt, Mon 9 Feb, is not counted; the deadline is the end of working day 15 (24:00)
  Tue 10 – Fri 13 Feb  working days 1–4
  Sat 14 Feb           make-up working day for Spring Festival 春节, counted: day 5
  Sun 15 – Mon 23 Feb  Spring Festival 春节, holiday
  Tue 24 – Fri 27 Feb  working days 6–9
  Sat 28 Feb           make-up working day for Spring Festival 春节, counted: day 10
  Sun 1 Mar            weekend
  Mon 2 – Fri 6 Mar    working days 11–15
  deadline Fri 6 Mar 2026 24:00
"
    );
    assert_eq!(
        why.deadline,
        cn.add(t("2026-02-09T10:00:00+08:00"), Duration::WorkingDays(15)).unwrap().at
    );
    let json = serde_json::to_value(&why).unwrap();
    assert_eq!(json["runs"][1]["note"]["for"], "Spring Festival");
    assert_eq!(json["runs"][2]["note"]["reason"], "holiday");
    assert_eq!(json["runs"][2]["from"], "2026-02-15");
    assert_eq!(json["runs"][2]["to"], "2026-02-23");
}

#[test]
fn cutoff_close_of_business_and_hours_are_stated() {
    let cn = Calendar::bundled("cn-mainland").unwrap();
    let four = NaiveTime::from_hms_opt(16, 0, 0);
    let bank = cn.with_overrides(Some("09:00-12:00,13:30-18:00".parse().unwrap()), None, four);
    // Wed 10 Jun 2026 before the cutoff: that day is day 1, ending at close of business.
    let why = bank.explain(t("2026-06-10T15:59:00+08:00"), Duration::WorkingDays(1)).unwrap();
    assert_eq!(
        why.to_string(),
        "\
1 working day from Wed 10 Jun 2026 15:59, calendar cn-mainland (Asia/Shanghai)
  received on a working day before the cutoff 16:00: Wed 10 Jun is day 1; the deadline is the end of working day 1 (close of business, 18:00)
  Wed 10 Jun  working day 1
  deadline Wed 10 Jun 2026 18:00
"
    );
    let why = bank.explain(t("2026-06-10T16:00:00+08:00"), Duration::WorkingDays(1)).unwrap();
    assert!(why.to_string().contains(
        "received at or after the cutoff 16:00: the day of receipt, Wed 10 Jun, is not counted"
    ));
    assert_eq!(why.deadline, t("2026-06-11T18:00:00+08:00"));
    // Working hours across a lunch break and a night.
    let why =
        bank.explain(t("2026-06-10T11:00:00+08:00"), "8 working hours".parse().unwrap()).unwrap();
    assert_eq!(
        why.to_string(),
        "\
8 working hours from Wed 10 Jun 2026 11:00, calendar cn-mainland (Asia/Shanghai)
  working time counts in business hours 09:00-12:00,13:30-18:00 of working days (7h30m a day)
  Wed 10 Jun  from 11:00: 5h30m
  Thu 11 Jun  until 11:30: 2h30m
  deadline Thu 11 Jun 2026 11:30
"
    );
}

#[test]
fn december_2026_explained_before_and_after_the_2027_data() {
    let start = t("2026-12-28T10:00:00+08:00");
    let cn = Calendar::bundled("cn-mainland").unwrap();
    let year = Calendar::resolve(FIXTURE, None).unwrap();
    let before = cn.explain(start, Duration::WorkingDays(7)).unwrap();
    // Beyond the data the plain workweek is counted, its weekend listed as skipped.
    assert!(before.to_string().contains(
        "  Fri 1 Jan 2027          working day 4, no holiday data (plain workweek)\n  \
         Sat 2 – Sun 3 Jan 2027  weekend, no holiday data (plain workweek)\n  \
         Mon 4 – Wed 6 Jan 2027  working days 5–7, no holiday data (plain workweek)\n"
    ));
    assert_eq!(before.provisional.as_ref().unwrap().date, d("2027-01-01"));
    let after = year.explain(start, Duration::WorkingDays(7)).unwrap();
    assert_eq!(
        after.to_string(),
        "\
7 working days from Mon 28 Dec 2026 10:00, calendar cn-mainland-2027-fixture (Asia/Shanghai)
  the day of receipt, Mon 28 Dec, is not counted; the deadline is the end of working day 7 (24:00)
  Tue 29 – Thu 31 Dec     working days 1–3
  Fri 1 – Sun 3 Jan 2027  New Year's Day 元旦, holiday
  Mon 4 – Thu 7 Jan 2027  working days 4–7
  deadline Thu 7 Jan 2027 24:00
"
    );
    assert_eq!(after.provisional, None);
    // The note of each day is the calendar's.
    assert_eq!(
        year.day_note(d("2027-01-02")),
        Some(&DayNote::Holiday {
            name: "New Year's Day".into(), name_local: Some("元旦".into())
        })
    );
}
