//! Unit tests of the calendar module: the bundled data against its sources, the counting
//! conventions, time zones, provisional results and every diagnostic.

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn dur(s: &str) -> Duration {
    s.parse().unwrap()
}

fn cn() -> Arc<Calendar> {
    Calendar::bundled("cn-mainland").unwrap()
}

fn local(cal: &Calendar, at: DateTime<Utc>) -> String {
    at.with_timezone(&cal.tz()).to_rfc3339()
}

#[test]
fn bundled_calendars_load_without_diagnostics() {
    for id in Calendar::bundled_ids() {
        if let Err(d) = bundled::load_fresh(id) {
            panic!("{id}: {d:#?}");
        }
    }
}

fn dates_of_kind(cal: &Calendar, year: i32, kind: DayKind) -> Vec<String> {
    let mut out = Vec::new();
    let mut day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    while day.year() == year {
        if cal.day_kind(day) == kind {
            out.push(day.format("%m-%d").to_string());
        }
        day = day.succ_opt().unwrap();
    }
    out
}

use chrono::Datelike;

#[test]
fn cn_mainland_2024_matches_the_notice() {
    let cal = cn();
    assert_eq!(cal.working_days_between(d("2024-01-01"), d("2024-12-31")), 251);
    assert_eq!(
        dates_of_kind(&cal, 2024, DayKind::Holiday),
        [
            "01-01", "02-10", "02-11", "02-12", "02-13", "02-14", "02-15", "02-16", "02-17",
            "04-04", "04-05", "04-06", "05-01", "05-02", "05-03", "05-04", "05-05", "06-10",
            "09-15", "09-16", "09-17", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06",
            "10-07",
        ]
    );
    assert_eq!(
        dates_of_kind(&cal, 2024, DayKind::MakeupWorkday),
        ["02-04", "02-18", "04-07", "04-28", "05-11", "09-14", "09-29", "10-12"]
    );
    // New Year's Eve (9 Feb) is only encouraged as a day off: a workday.
    assert_eq!(cal.day_kind(d("2024-02-09")), DayKind::Workday);
}

#[test]
fn cn_mainland_2025_matches_the_notice() {
    let cal = cn();
    assert_eq!(cal.working_days_between(d("2025-01-01"), d("2025-12-31")), 248);
    assert_eq!(
        dates_of_kind(&cal, 2025, DayKind::Holiday),
        [
            "01-01", "01-28", "01-29", "01-30", "01-31", "02-01", "02-02", "02-03", "02-04",
            "04-04", "04-05", "04-06", "05-01", "05-02", "05-03", "05-04", "05-05", "05-31",
            "06-01", "06-02", "10-01", "10-02", "10-03", "10-04", "10-05", "10-06", "10-07",
            "10-08",
        ]
    );
    assert_eq!(
        dates_of_kind(&cal, 2025, DayKind::MakeupWorkday),
        ["01-26", "02-08", "04-27", "09-28", "10-11"]
    );
}

#[test]
fn cn_mainland_2026_matches_the_notice() {
    let cal = cn();
    assert_eq!(cal.working_days_between(d("2026-01-01"), d("2026-12-31")), 248);
    assert_eq!(
        dates_of_kind(&cal, 2026, DayKind::Holiday),
        [
            "01-01", "01-02", "01-03", "02-15", "02-16", "02-17", "02-18", "02-19", "02-20",
            "02-21", "02-22", "02-23", "04-04", "04-05", "04-06", "05-01", "05-02", "05-03",
            "05-04", "05-05", "06-19", "06-20", "06-21", "09-25", "09-26", "09-27", "10-01",
            "10-02", "10-03", "10-04", "10-05", "10-06", "10-07",
        ]
    );
    assert_eq!(
        dates_of_kind(&cal, 2026, DayKind::MakeupWorkday),
        ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"]
    );
    assert_eq!(cal.sources().len(), 3);
    assert_eq!(cal.sources()[2].published, d("2025-11-04"));
}

#[test]
fn acceptance_spring_festival_2026() {
    let cal = cn();
    // 14 Feb is a make-up working day → day 1; 24 and 25 Feb are days 2 and 3.
    let r = cal.add(t("2026-02-13T17:30:00+08:00"), dur("3 working days")).unwrap();
    assert_eq!(r.at, t("2026-02-26T00:00:00+08:00"));
    assert_eq!(r.provisional, None);
    // From the make-up Saturday itself: its day is not counted → 24, 25, 26.
    let r = cal.add(t("2026-02-14T10:05:00+08:00"), dur("3 working days")).unwrap();
    assert_eq!(r.at, t("2026-02-27T00:00:00+08:00"));
    // 7 working days across the festival: 14, 24, 25, 26, 27, 28 (Sat, make-up), 2 Mar.
    let r = cal.add(t("2026-02-13T17:30:00+08:00"), dur("7 working days")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-03-03T00:00:00+08:00");
}

#[test]
fn national_day_2026() {
    let cal = cn();
    // Fri 18 Sep → Sun 20 Sep (make-up), 21, 22 … 30 Sep is day 8; 8, 9 Oct, Sat 10 Oct (make-up).
    let start = t("2026-09-18T12:00:00+08:00");
    assert_eq!(local(&cal, cal.add(start, dur("1wd")).unwrap().at), "2026-09-21T00:00:00+08:00");
    assert_eq!(local(&cal, cal.add(start, dur("8wd")).unwrap().at), "2026-10-01T00:00:00+08:00");
    assert_eq!(local(&cal, cal.add(start, dur("9wd")).unwrap().at), "2026-10-09T00:00:00+08:00");
    assert_eq!(local(&cal, cal.add(start, dur("11wd")).unwrap().at), "2026-10-11T00:00:00+08:00");
    assert_eq!(local(&cal, cal.add(start, dur("12wd")).unwrap().at), "2026-10-13T00:00:00+08:00");
}

#[test]
fn cutoff_counts_the_day_of_receipt() {
    let cal = cn().with_overrides(None, None, Some(NaiveTime::from_hms_opt(16, 0, 0).unwrap()));
    assert_eq!(cal.cutoff(), Some(NaiveTime::from_hms_opt(16, 0, 0).unwrap()));
    // Wednesday 10 June 2026, before the cutoff: that day is day 1.
    let r = cal.add(t("2026-06-10T15:59:59+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-06-11T00:00:00+08:00");
    // At the cutoff exactly ("strictly before" fails): day 1 is the next day.
    let r = cal.add(t("2026-06-10T16:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-06-12T00:00:00+08:00");
    // Before the cutoff on a holiday: not a working day, so not counted.
    let r = cal.add(t("2026-10-02T09:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-10-09T00:00:00+08:00");
    // A cutoff later than closing (possible through overrides) does not count a day whose
    // business is already closed.
    let late = cn().with_overrides(
        Some("09:00-17:00".parse().unwrap()),
        None,
        Some(NaiveTime::from_hms_opt(20, 0, 0).unwrap()),
    );
    let r = late.add(t("2026-06-10T18:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&late, r.at), "2026-06-11T17:00:00+08:00");
    let r = late.add(t("2026-06-10T16:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&late, r.at), "2026-06-10T17:00:00+08:00");
    // Before the cutoff on a make-up day: counted.
    let r = cal.add(t("2026-10-10T09:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-10-11T00:00:00+08:00");
}

#[test]
fn calendar_days_roll_to_the_next_working_day() {
    let cal = cn();
    // Mon 2026-09-21 + 10 calendar days = Thu 1 Oct (holiday) → rolls to Fri 9 Oct.
    let r = cal.add(t("2026-09-21T08:00:00+08:00"), dur("10 calendar days")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-10-09T00:00:00+08:00");
    // Landing on a working day: end of that day.
    let r = cal.add(t("2026-09-21T08:00:00+08:00"), dur("3cd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-09-25T00:00:00+08:00");
    // With business hours: end = close of business.
    let de = Calendar::bundled("de-example").unwrap();
    let r = de.add(t("2026-12-20T10:00:00+01:00"), dur("5cd")).unwrap(); // Fri 25 Dec → Mon 28 Dec
    assert_eq!(local(&de, r.at), "2026-12-28T17:00:00+01:00");
}

#[test]
fn working_hours_across_windows_and_days() {
    let de = Calendar::bundled("de-example").unwrap(); // 09:00-12:00,13:00-17:00 → 7 h a day
    // Thursday 5 March 2026, 11:00 + 8 h: 1 h to noon, 4 h afternoon, 3 h Friday morning.
    let r = de.add(t("2026-03-05T11:00:00+01:00"), dur("8 working hours")).unwrap();
    assert_eq!(local(&de, r.at), "2026-03-06T12:00:00+01:00");
    // From lunch: starts at the next opening.
    let r = de.add(t("2026-03-05T12:30:00+01:00"), dur("4wh")).unwrap();
    assert_eq!(local(&de, r.at), "2026-03-05T17:00:00+01:00");
    // Ending exactly at a close stays at the close (not the next opening).
    let r = de.add(t("2026-03-05T09:00:00+01:00"), dur("3wh")).unwrap();
    assert_eq!(local(&de, r.at), "2026-03-05T12:00:00+01:00");
    // From Friday evening over a weekend.
    let r = de.add(t("2026-03-06T18:00:00+01:00"), dur("30 working minutes")).unwrap();
    assert_eq!(local(&de, r.at), "2026-03-09T09:30:00+01:00");
    // Over Easter: Thu 2 Apr 16:00 + 2 h → Good Friday and Easter Monday off → Tue 7 Apr 10:00.
    let r = de.add(t("2026-04-02T16:00:00+02:00"), dur("2wh")).unwrap();
    assert_eq!(local(&de, r.at), "2026-04-07T10:00:00+02:00");
    // Without business hours a working day is 24 working hours.
    let cal = cn();
    let r = cal.add(t("2026-02-13T12:00:00+08:00"), dur("24wh")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-02-14T12:00:00+08:00");
    let r = cal.add(t("2026-02-14T12:00:00+08:00"), dur("24wh")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-02-24T12:00:00+08:00");
}

#[test]
fn working_days_with_business_hours_end_at_close() {
    let de = Calendar::bundled("de-example").unwrap();
    let r = de.add(t("2026-05-13T10:00:00+02:00"), dur("1wd")).unwrap(); // Ascension Thu 14 → Fri 15
    assert_eq!(local(&de, r.at), "2026-05-15T17:00:00+02:00");
}

#[test]
fn dst_spring_and_autumn() {
    let de = Calendar::bundled("de-example").unwrap();
    // Friday before the March switch (Sun 29 Mar) → Monday in summer time.
    let r = de.add(t("2026-03-27T16:00:00+01:00"), dur("2wh")).unwrap();
    assert_eq!(r.at, t("2026-03-30T10:00:00+02:00"));
    let w = |s: &str| de.working_clock(t(s));
    assert_eq!(w("2026-03-30T09:00:00+02:00") - w("2026-03-27T16:00:00+01:00"), 3600);
    // October switch (Sun 25 Oct): Friday 23 Oct 16:30 CEST + 1 h → Monday 26 Oct 09:30 CET.
    let r = de.add(t("2026-10-23T16:30:00+02:00"), dur("1wh")).unwrap();
    assert_eq!(r.at, t("2026-10-26T09:30:00+01:00"));
    // Working days across the switch end at 17:00 local either side.
    let r = de.add(t("2026-03-27T10:00:00+01:00"), dur("1wd")).unwrap();
    assert_eq!(r.at, t("2026-03-30T17:00:00+02:00"));

    // A seven-day calendar without hours: the midnight ending a switch day.
    let text = "id: berlin7\ntimezone: Europe/Berlin\n\
                workweek: [mon, tue, wed, thu, fri, sat, sun]\ncovers: unbounded\n";
    let b7 = Calendar::from_yaml("b7.yaml", text, None).unwrap();
    let r = b7.add(t("2026-03-28T12:00:00+01:00"), dur("1wd")).unwrap(); // Sunday 29 Mar is day 1
    assert_eq!(r.at, t("2026-03-30T00:00:00+02:00"));
    assert_eq!(r.at - t("2026-03-29T00:00:00+01:00"), chrono::TimeDelta::hours(23));
    let r = b7.add(t("2026-10-24T12:00:00+02:00"), dur("1wd")).unwrap(); // Sunday 25 Oct (25 h)
    assert_eq!(r.at, t("2026-10-26T00:00:00+01:00"));
    // The 23-hour day still contributes 86,400 s of working time, linearly.
    let w = |s: &str| b7.working_clock(t(s));
    assert_eq!(w("2026-03-30T00:00:00+02:00") - w("2026-03-29T00:00:00+01:00"), 86_400);
    assert_eq!(w("2026-10-26T00:00:00+01:00") - w("2026-10-25T00:00:00+02:00"), 86_400);
    let mid = b7.at_working_clock(w("2026-10-25T00:00:00+02:00") + 43_200).unwrap();
    assert_eq!(mid, t("2026-10-25T00:00:00+02:00") + chrono::TimeDelta::minutes(750));
    // 36 working hours from Saturday noon: 12 of Saturday, then all 24 of the short Sunday.
    let r = b7.add(t("2026-03-28T12:00:00+01:00"), dur("36wh")).unwrap();
    assert_eq!(r.at, t("2026-03-30T00:00:00+02:00"));
}

#[test]
fn provisional_beyond_coverage() {
    let cal = cn();
    let r = cal.add(t("2026-12-28T10:00:00+08:00"), dur("7 working days")).unwrap();
    // 29, 30, 31 Dec, then the plain workweek: Fri 1, Mon 4, Tue 5, Wed 6 Jan 2027.
    assert_eq!(local(&cal, r.at), "2027-01-07T00:00:00+08:00");
    let p = r.provisional.unwrap();
    assert_eq!(
        (p.calendar.as_str(), p.date, p.covered_until),
        ("cn-mainland", d("2027-01-01"), d("2026-12-31"))
    );
    // Ending exactly at the midnight that ends the last covered day is not provisional.
    let r = cal.add(t("2026-12-30T10:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2027-01-01T00:00:00+08:00");
    assert_eq!(r.provisional, None);
    // Starting before coverage.
    let r = cal.add(t("2023-12-29T10:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(r.provisional.unwrap().date, d("2023-12-29"));
    // Far beyond: arithmetic by weeks, still correct and provisional.
    let r = cal.add(t("2040-01-02T10:00:00+08:00"), dur("250wd")).unwrap();
    assert!(r.provisional.is_some());
    assert_eq!(
        cal.working_days_between(
            d("2040-01-03"),
            r.at.with_timezone(&cal.tz()).date_naive().pred_opt().unwrap()
        ),
        250
    );
    // The unbounded calendar is never provisional.
    let wk = Calendar::bundled("weekdays").unwrap();
    assert_eq!(wk.coverage(), (NaiveDate::MIN, NaiveDate::MAX));
    assert!(wk.add(t("2199-12-28T10:00:00Z"), dur("300wd")).unwrap().provisional.is_none());
}

#[test]
fn extreme_dates_do_not_panic() {
    for cal in Calendar::bundled_ids().into_iter().filter_map(Calendar::bundled) {
        for start in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, t("1900-01-01T00:00:00Z")]
        {
            let latest = t("9999-12-31T23:59:59Z");
            for du in ["250wd", "8wh", "10cd", "72h", "4294967295wd", "4294967295cd"] {
                // A deadline is one the engine keeps, or refused: never moved to an edge.
                match cal.add(start, dur(du)) {
                    Ok(r) => assert!(r.at >= start && r.at <= latest, "{du} from {start}"),
                    Err(e) => assert!(e.to_string().ends_with("the last instant Ombud keeps")),
                }
                let refused = start > latest || start.year() < 1 || du.starts_with("4294967295");
                assert_eq!(cal.add(start, dur(du)).is_err(), refused, "{du} from {start}");
            }
            let w = cal.working_clock(start);
            let _ = cal.at_working_clock(w);
        }
        let tiny = cal.with_overrides(Some("09:00:00-09:00:01".parse().unwrap()), None, None);
        for w in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX] {
            let _ = tiny.at_working_clock(w);
        }
        let _ = cal.at_working_clock(i64::MAX);
        let _ = cal.at_working_clock(i64::MIN);
        let _ = cal.day_kind(NaiveDate::MIN);
        let _ = cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX);
    }
}

#[test]
fn wall_durations_are_elapsed_time() {
    let cal = cn();
    let r = cal.add(t("2026-02-14T10:00:00+08:00"), dur("72h")).unwrap();
    assert_eq!(r.at, t("2026-02-17T10:00:00+08:00"));
    assert_eq!(r.provisional, None);
    assert_eq!(
        cal.add(t("2026-02-14T10:00:00+08:00"), dur("0wd")).unwrap().at,
        t("2026-02-14T10:00:00+08:00")
    );
}

#[test]
fn extends_adds_closures_and_extra_workdays() {
    let u = Calendar::bundled("example-utility").unwrap();
    assert_eq!(u.tz(), chrono_tz::Asia::Shanghai);
    assert_eq!(u.coverage(), cn().coverage());
    assert_eq!(u.day_kind(d("2026-12-31")), DayKind::Holiday);
    assert_eq!(u.day_kind(d("2026-06-13")), DayKind::MakeupWorkday);
    assert_eq!(u.day_kind(d("2026-02-14")), DayKind::MakeupWorkday);
    assert_eq!(
        u.working_days_between(d("2026-01-01"), d("2026-12-31")),
        cn().working_days_between(d("2026-01-01"), d("2026-12-31"))
    );
    let r = u.add(t("2026-12-29T10:00:00+08:00"), dur("2wd")).unwrap();
    assert_eq!(local(&u, r.at), "2027-01-02T00:00:00+08:00"); // 30 Dec, (31 closed), 1 Jan
    assert!(r.provisional.is_some());
    let r = u.add(t("2026-06-12T10:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&u, r.at), "2026-06-14T00:00:00+08:00");
}

#[test]
fn extends_a_file_relative_to_base_dir() {
    let dir = std::env::temp_dir().join(format!("ombud-cal-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("sub/base.yaml"),
        "id: base\ntimezone: UTC\nworkweek: [mon, tue, wed, thu, fri]\n\
         covers: {from: 2026-01-01, to: 2026-12-31}\n",
    )
    .unwrap();
    let org =
        "id: org\nextends: sub/base.yaml\nclosures:\n  - {name: Founders day, date: 2026-03-02}\n";
    let cal = Calendar::from_yaml("org.yaml", org, Some(&dir)).unwrap();
    assert_eq!(cal.day_kind(d("2026-03-02")), DayKind::Holiday);
    std::fs::write(dir.join("org.yaml"), org).unwrap();
    let cal = Calendar::resolve("org.yaml", Some(&dir)).unwrap();
    assert_eq!(cal.id(), "org");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resolve_unknown_ids_and_files() {
    let e = Calendar::resolve("cn-mainlnd", None).unwrap_err();
    assert_eq!(
        (e[0].code, e[0].message.as_str()),
        (DiagnosticCode::E0507, "unknown calendar `cn-mainlnd`")
    );
    assert_eq!(e[0].hint.as_deref(), Some("did you mean `cn-mainland`?"));
    let e = Calendar::resolve("zz", None).unwrap_err();
    assert!(e[0].hint.as_deref().unwrap().contains("`weekdays`"));
    let e = Calendar::resolve("nope/missing.yaml", None).unwrap_err();
    assert_eq!(e[0].code, DiagnosticCode::E0507);
}

fn diags(text: &str) -> Vec<Diagnostic> {
    Calendar::from_yaml("bad.yaml", text, None).unwrap_err()
}

fn codes(text: &str) -> Vec<DiagnosticCode> {
    diags(text).iter().map(|d| d.code).collect()
}

const HEAD: &str = "id: t\ntimezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]\n\
                    covers: {from: 2026-01-01, to: 2026-12-31}\n";

#[test]
fn diagnostic_e0500_yaml_syntax() {
    let ds = diags("id: [unclosed\n");
    assert_eq!(ds[0].code, DiagnosticCode::E0500);
    assert!(ds[0].span.is_known());
    assert_eq!(ds[0].file(), Some("bad.yaml"));
}

#[test]
fn diagnostic_e0501_unknown_zone() {
    let ds = diags("id: t\ntimezone: Europe/Berln\nworkweek: [mon]\ncovers: unbounded\n");
    assert_eq!(ds[0].code, DiagnosticCode::E0501);
    assert_eq!(ds[0].message, "unknown time zone `Europe/Berln`");
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `Europe/Berlin`?"));
    assert_eq!((ds[0].span.line, ds[0].span.column), (2, 11));
}

#[test]
fn diagnostic_e0502_overlapping_periods() {
    let text = format!(
        "{HEAD}holidays:\n  - {{name: A, from: 2026-05-01, to: 2026-05-05}}\n  \
         - {{name: B, from: 2026-05-04, to: 2026-05-06}}\n"
    );
    let ds = diags(&text);
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].code, DiagnosticCode::E0502);
    assert_eq!(ds[0].span.line, 7);
    assert_eq!(ds[0].related.as_ref().unwrap().0.line, 6);
}

#[test]
fn diagnostic_e0503_makeup_not_on_weekend() {
    let text = format!(
        "{HEAD}holidays:\n  - {{name: A, date: 2026-05-01}}\nmakeup_workdays:\n  \
         - {{date: 2026-05-06, for: A}}\n  - {{date: 2026-05-01, for: A}}\n"
    );
    let ds = diags(&text);
    assert_eq!(
        ds.iter().map(|d| d.code).collect::<Vec<_>>(),
        [DiagnosticCode::E0503, DiagnosticCode::E0503]
    );
    assert_eq!(ds[0].message, "make-up working day `2026-05-06` is not on a weekend (wed)");
    assert_eq!(ds[0].span.line, 8);
}

#[test]
fn diagnostic_e0504_outside_coverage() {
    let text = format!("{HEAD}holidays:\n  - {{name: A, date: 2027-01-01}}\n");
    assert_eq!(codes(&text), [DiagnosticCode::E0504]);
    let text = "id: t\ntimezone: UTC\nworkweek: [mon]\ncovers: unbounded\n\
                holidays:\n  - {name: A, date: 2027-01-01}\n";
    assert_eq!(codes(text), [DiagnosticCode::E0504]);
}

#[test]
fn diagnostic_e0505_unknown_keys_all_reported() {
    let text = format!("{HEAD}hoildays: []\nholidays:\n  - {{nme: A, date: 2026-05-01}}\n");
    let ds = diags(&text);
    // Sorted by place: the entry missing `name` starts before its unknown key `nme`.
    assert_eq!(
        ds.iter().map(|d| d.code).collect::<Vec<_>>(),
        [DiagnosticCode::E0505, DiagnosticCode::E0508, DiagnosticCode::E0505]
    );
    assert_eq!(ds[0].message, "unknown key `hoildays` in a calendar file");
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `holidays`?"));
    assert_eq!((ds[0].span.line, ds[0].span.column), (5, 1));
    assert_eq!(ds[2].hint.as_deref(), Some("did you mean `name`?"));
}

#[test]
fn diagnostic_e0506_bad_dates() {
    let text = format!(
        "{HEAD}holidays:\n  - {{name: A, date: 2026-02-30}}\n  - {{name: B, from: 2026-03-05, to: 2026-03-01}}\n"
    );
    let ds = diags(&text);
    assert_eq!(
        ds.iter().map(|d| d.code).collect::<Vec<_>>(),
        [DiagnosticCode::E0506, DiagnosticCode::E0506]
    );
    assert_eq!(ds[0].message, "`2026-02-30` is not a date");
    assert_eq!((ds[0].span.line, ds[0].span.column), (6, 21));
    assert_eq!(ds[0].hint.as_deref(), Some(data_date_hint()));
}

fn data_date_hint() -> &'static str {
    "write dates as `YYYY-MM-DD`, e.g. `2026-02-15`"
}

#[test]
fn diagnostic_e0507_unknown_extends() {
    let ds = diags("id: org\nextends: cn-mainlnd\n");
    assert_eq!(ds[0].code, DiagnosticCode::E0507);
    assert_eq!((ds[0].span.line, ds[0].span.column), (2, 10));
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `cn-mainland`?"));
}

#[test]
fn diagnostics_of_other_shapes() {
    // Repeated keys, located at the repetition.
    let ds = diags(&format!("{HEAD}id: u\n"));
    assert_eq!(
        (ds[0].code, ds[0].message.as_str()),
        (DiagnosticCode::E0505, "key `id` appears twice in a calendar file")
    );
    assert_eq!(ds[0].span.line, 5);
    // Missing keys.
    assert_eq!(
        codes("name: x\n"),
        [
            DiagnosticCode::E0508,
            DiagnosticCode::E0508,
            DiagnosticCode::E0508,
            DiagnosticCode::E0508
        ]
    );
    // Bad hours point inside the value.
    let ds = diags(&format!("{HEAD}hours: \"09:00-12:00,13:30-1800\"\n"));
    assert_eq!(ds[0].code, DiagnosticCode::E0509);
    assert_eq!((ds[0].span.line, ds[0].span.column), (5, 27));
    assert_eq!(codes(&format!("{HEAD}cutoff: \"25:00\"\n")), [DiagnosticCode::E0509]);
    assert_eq!(
        codes(&format!("{HEAD}hours: \"09:00-17:00\"\ncutoff: \"18:00\"\n")),
        [DiagnosticCode::E0509]
    );
    // Workweek.
    assert_eq!(
        codes("id: t\ntimezone: UTC\nworkweek: [mon, tues, mon, sunday, xyz]\ncovers: unbounded\n"),
        [DiagnosticCode::E0510, DiagnosticCode::E0510]
    );
    assert_eq!(
        codes("id: t\ntimezone: UTC\nworkweek: []\ncovers: unbounded\n"),
        [DiagnosticCode::E0510]
    );
    // Make-up for an unknown holiday.
    let text = format!(
        "{HEAD}holidays:\n  - {{name: Labour Day, date: 2026-05-01}}\nmakeup_workdays:\n  - {{date: 2026-05-09, for: Labor Day}}\n"
    );
    let ds = diags(&text);
    assert_eq!(ds[0].code, DiagnosticCode::E0511);
    assert_eq!(ds[0].hint.as_deref(), Some("did you mean `Labour Day`?"));
    // Keys an extending file may not set.
    assert_eq!(codes("id: o\nextends: weekdays\ntimezone: UTC\n"), [DiagnosticCode::E0512]);
    // Extra working day that already is one.
    let ds = diags("id: o\nextends: cn-mainland\nextra_workdays:\n  - {date: 2026-02-13}\n");
    assert_eq!(ds[0].code, DiagnosticCode::E0513);
    // Wrong shapes.
    assert_eq!(codes(&format!("{HEAD}holidays: 5\n")), [DiagnosticCode::E0514]);
    assert_eq!(codes("- a\n- b\n"), [DiagnosticCode::E0514]);
    // Too long a range.
    assert_eq!(
        codes(
            "id: t\ntimezone: UTC\nworkweek: [mon]\ncovers: {from: 1000-01-01, to: 2900-01-01}\n"
        ),
        [DiagnosticCode::E0515]
    );
    // Every diagnostic is lowercase-first and located.
    for text in ["id: t\ntimezone: Mars/Base\nworkweek: [mon]\ncovers: unbounded\n"] {
        for d in diags(text) {
            assert!(d.span.is_known(), "{d}");
            assert!(d.message.chars().next().unwrap().is_lowercase() || d.message.starts_with('`'));
        }
    }
}

#[test]
fn working_clock_round_trips_and_budget() {
    let de = Calendar::bundled("de-example").unwrap();
    let s = t("2026-03-05T11:00:00+01:00");
    let dl = de.add(s, dur("3wd")).unwrap().at;
    assert_eq!(local(&de, dl), "2026-03-10T17:00:00+01:00");
    let (ws, wd) = (de.working_clock(s), de.working_clock(dl));
    assert_eq!(wd - ws, (1 + 4 + 3 * 7) * 3600);
    assert_eq!(de.at_working_clock(wd).unwrap(), dl);
    assert_eq!(de.at_working_clock(ws).unwrap(), s);
    // 80 % of 26 h = 20.8 h after Thu 11:00: Thu 5 h, Fri 7 h, Mon 7 h, then 1.8 h on Tue.
    let eighty = de.at_working_clock(ws + (wd - ws) * 8 / 10).unwrap();
    assert_eq!(local(&de, eighty), "2026-03-10T10:48:00+01:00");
    // A value reached at a close maps to the close, not the next opening.
    let noon = t("2026-03-05T12:00:00+01:00");
    assert_eq!(de.at_working_clock(de.working_clock(noon)).unwrap(), noon);
    assert_eq!(
        de.at_working_clock(de.working_clock(noon) + 1).unwrap(),
        t("2026-03-05T13:00:01+01:00")
    );
}

#[test]
fn unix_epoch_index() {
    assert_eq!(day_index(d("1970-01-01")), 719_162);
    assert_eq!(day_index(d("0001-01-01")), 0);
    assert_eq!(d("0001-01-01").weekday(), chrono::Weekday::Mon);
}

#[test]
fn calendar_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Calendar>();
    check::<Arc<Calendar>>();
}

#[test]
fn midnight_belongs_to_the_day_it_ends() {
    let cal = cn();
    // Mon 2026-03-02 24:00 (= Tue 00:00): the day of the start is Monday, so day 1 is Tuesday.
    let r = cal.add(t("2026-03-03T00:00:00+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-03-04T00:00:00+08:00");
    // One second later it is Tuesday: day 1 is Wednesday.
    let r = cal.add(t("2026-03-03T00:00:01+08:00"), dur("1wd")).unwrap();
    assert_eq!(local(&cal, r.at), "2026-03-05T00:00:00+08:00");
    // So chaining equals adding once.
    let s = t("2026-02-10T09:00:00+08:00");
    let once = cal.add(s, dur("5wd")).unwrap().at;
    let twice = cal.add(cal.add(s, dur("2wd")).unwrap().at, dur("3wd")).unwrap().at;
    assert_eq!(once, twice);
}
