//! A file that `extends` a bundled calendar adds a year: `covers` extended forward, `holidays`
//! and `makeup_workdays` for the added days only, provisional marks following the new coverage.
//! The 2027 rehearsal runs on `tests/fixtures/calendars/cn-mainland-2027-fixture.yaml`, an
//! invented first quarter of 2027 (a fixture, not the real arrangements).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use ombud_engine::calendar::{Calendar, DayKind, DayNote};
use ombud_engine::check::Diagnostic;
use ombud_engine::policy::Duration;
use std::path::Path;
use std::sync::Arc;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"
);

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn wd(n: u32) -> Duration {
    Duration::WorkingDays(n)
}

fn cn() -> Arc<Calendar> {
    Calendar::bundled("cn-mainland").unwrap()
}

fn fixture() -> Arc<Calendar> {
    Calendar::resolve(FIXTURE, None).unwrap()
}

fn diags(text: &str) -> Vec<Diagnostic> {
    Calendar::from_yaml("year.yaml", text, None).unwrap_err()
}

fn local(cal: &Calendar, at: DateTime<Utc>) -> String {
    at.with_timezone(&cal.tz()).to_rfc3339()
}

#[test]
fn the_fixture_adds_its_days_and_keeps_the_base_days() {
    let (base, year) = (cn(), fixture());
    assert_eq!(year.coverage(), (d("2024-01-01"), d("2027-03-31")));
    assert_eq!(year.tz(), base.tz());
    // Every day of the base's range is as the base has it, with the same notes.
    let mut day = d("2024-01-01");
    while day <= d("2026-12-31") {
        assert_eq!(year.day_kind(day), base.day_kind(day), "{day}");
        assert_eq!(year.day_note(day), base.day_note(day), "{day}");
        day = day.succ_opt().unwrap();
    }
    // The added quarter, by hand: New Year 1–3 Jan, Spring Festival Fri 5 – Fri 12 Feb, make-up
    // Sun 14 and Sat 20 Feb.
    let kinds: Vec<(String, DayKind)> = d("2027-01-01")
        .iter_days()
        .take_while(|x| *x <= d("2027-03-31"))
        .map(|x| (x.format("%m-%d").to_string(), year.day_kind(x)))
        .filter(|(_, k)| !matches!(k, DayKind::Workday | DayKind::Weekend))
        .collect();
    let want = [
        ("01-01", DayKind::Holiday),
        ("01-02", DayKind::Holiday),
        ("01-03", DayKind::Holiday),
        ("02-05", DayKind::Holiday),
        ("02-06", DayKind::Holiday),
        ("02-07", DayKind::Holiday),
        ("02-08", DayKind::Holiday),
        ("02-09", DayKind::Holiday),
        ("02-10", DayKind::Holiday),
        ("02-11", DayKind::Holiday),
        ("02-12", DayKind::Holiday),
        ("02-14", DayKind::MakeupWorkday),
        ("02-20", DayKind::MakeupWorkday),
    ]
    .map(|(s, k)| (s.to_string(), k));
    assert_eq!(kinds, want);
    assert_eq!(
        year.day_note(d("2027-02-20")),
        Some(&DayNote::MakeupWorkday {
            bridges: "Spring Festival".into(),
            name_local: Some("春节".into())
        })
    );
    assert_eq!(year.sources().len(), 4);
    assert_eq!(year.sources()[3].year, 2027);
    // Beyond the new coverage: the plain workweek again.
    assert_eq!(year.day_kind(d("2027-04-05")), DayKind::Workday);
}

/// Deadlines from December 2026: provisional on `cn-mainland` (2027 counted on the plain
/// workweek), confirmed or moved once the fixture adds the first quarter of 2027.
#[test]
fn december_2026_deadlines_are_confirmed_or_moved() {
    let (base, year) = (cn(), fixture());

    // Mon 28 Dec 2026 10:00, 7 working days. On cn-mainland: 29, 30, 31 Dec are days 1–3, Fri 1
    // Jan (no data) day 4, Mon 4 – Wed 6 Jan days 5–7 → 24:00 on Wed 6 Jan, provisional from
    // 1 Jan. With the fixture 1–3 Jan are New Year: Mon 4 – Thu 7 Jan are days 4–7 → moved one
    // working day, to 24:00 on Thu 7 Jan, confirmed data.
    let start = t("2026-12-28T10:00:00+08:00");
    let before = base.add(start, wd(7)).unwrap();
    assert_eq!(local(&base, before.at), "2027-01-07T00:00:00+08:00");
    assert_eq!(before.provisional.as_ref().unwrap().date, d("2027-01-01"));
    let after = year.add(start, wd(7)).unwrap();
    assert_eq!(local(&year, after.at), "2027-01-08T00:00:00+08:00");
    assert_eq!(after.provisional, None);

    // Mon 14 Dec 2026 10:00, 40 working days. cn-mainland: 15–18 Dec (4), 21–25 (9), 28–31 (13),
    // Fri 1 Jan (14), 4–8 Jan (19), 11–15 (24), 18–22 (29), 25–29 (34), 1–5 Feb (39), Mon 8 Feb
    // (40) → 24:00 Mon 8 Feb, provisional. Fixture: 13 in December, 1–3 Jan off, 4–8 Jan (18),
    // 11–15 (23), 18–22 (28), 25–29 (33), Mon 1 – Thu 4 Feb (37), 5–12 Feb Spring Festival,
    // Sat 13 weekend, Sun 14 make-up (38), Mon 15 (39), Tue 16 (40) → 24:00 Tue 16 Feb.
    let start = t("2026-12-14T10:00:00+08:00");
    let before = base.add(start, wd(40)).unwrap();
    assert_eq!(local(&base, before.at), "2027-02-09T00:00:00+08:00");
    assert!(before.provisional.is_some());
    let after = year.add(start, wd(40)).unwrap();
    assert_eq!(local(&year, after.at), "2027-02-17T00:00:00+08:00");
    assert_eq!(after.provisional, None);

    // Mon 28 Dec 2026, 10 calendar days: Thu 7 Jan 2027, a working day with or without the
    // 2027 data → the same instant, provisional before and confirmed after.
    let start = t("2026-12-28T10:00:00+08:00");
    let ten = Duration::CalendarDays(10);
    let (before, after) = (base.add(start, ten).unwrap(), year.add(start, ten).unwrap());
    assert_eq!(local(&base, before.at), "2027-01-08T00:00:00+08:00");
    assert!(before.provisional.is_some());
    assert_eq!((after.at, after.provisional), (before.at, None));
}

#[test]
fn provisional_marks_follow_the_new_coverage() {
    let year = fixture();
    // Thu 25 Mar 2027 + 10 working days runs into April, beyond the fixture's data.
    let p = year.add(t("2027-03-25T10:00:00+08:00"), wd(10)).unwrap().provisional.unwrap();
    assert_eq!((p.date, p.covered_until), (d("2027-04-01"), d("2027-03-31")));
    assert_eq!(p.calendar, "cn-mainland-2027-fixture");
    // Ending at the midnight that ends 31 March: not provisional.
    let r = year.add(t("2027-03-30T10:00:00+08:00"), wd(1)).unwrap();
    assert_eq!(local(&year, r.at), "2027-04-01T00:00:00+08:00");
    assert_eq!(r.provisional, None);
}

#[test]
fn an_organisation_file_builds_on_the_extended_year() {
    // An organisation's own file on top of the year file, with a closure in the added range.
    let dir = Path::new(FIXTURE).parent().unwrap();
    let text = "id: org\nextends: cn-mainland-2027-fixture.yaml\n\
                closures:\n  - {name: Stocktaking, date: 2027-03-05}\n";
    let org = Calendar::from_yaml("org.yaml", text, Some(dir)).unwrap();
    assert_eq!(org.coverage().1, d("2027-03-31"));
    assert_eq!(org.day_kind(d("2027-03-05")), DayKind::Holiday);
    assert_eq!(org.day_kind(d("2027-02-14")), DayKind::MakeupWorkday);
    assert_eq!(org.day_note(d("2027-03-05")).unwrap().to_string(), "Stocktaking, closure");
}

#[test]
fn a_year_added_in_place_reproduces_the_bundled_year() {
    // cn-mainland's 2026, written as an extension of a calendar that ends in 2025, gives the same
    // days: the mechanism a centre uses is the one the bundled data is checked with.
    let base = "id: cn-to-2025\ntimezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]\n\
                covers: {from: 2025-01-01, to: 2025-12-31}\n";
    let dir = std::env::temp_dir().join(format!("ombud-extend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("base.yaml"), base).unwrap();
    let year = "id: y\nextends: base.yaml\ncovers: {from: 2025-01-01, to: 2026-12-31}\n\
                holidays:\n  - {name: Spring Festival, name_local: 春节, from: 2026-02-15, to: 2026-02-23}\n\
                makeup_workdays:\n  - {date: 2026-02-14, for: Spring Festival}\n  \
                - {date: 2026-02-28, for: Spring Festival}\n";
    let cal = Calendar::from_yaml("y.yaml", year, Some(&dir)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    for day in d("2026-02-01").iter_days().take_while(|x| x.month() < 4) {
        assert_eq!(cal.day_kind(day), cn().day_kind(day), "{day}");
        assert_eq!(cal.day_note(day), cn().day_note(day), "{day}");
    }
}

#[test]
fn e0516_covers_may_only_extend_forward() {
    let ds = diags("id: y\nextends: cn-mainland\ncovers: {from: 2025-01-01, to: 2027-12-31}\n");
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].code, "E0516");
    assert_eq!(
        ds[0].message,
        "`covers` must start where `cn-mainland`'s does (2024-01-01), not at 2025-01-01"
    );
    assert_eq!((ds[0].span.line, ds[0].span.column), (3, 9));
    assert!(
        ds[0]
            .hint
            .as_deref()
            .unwrap()
            .starts_with("write `covers: {from: 2024-01-01, to: 2027-12-31}`")
    );
    let ds = diags("id: y\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2026-06-30}\n");
    assert_eq!(
        (ds[0].code.as_str(), ds[0].message.as_str()),
        ("E0516", "`covers` ends at 2026-06-30, before `cn-mainland`'s data does (2026-12-31)")
    );
    let ds = diags("id: y\nextends: cn-mainland\ncovers: unbounded\n");
    assert_eq!(ds[0].code, "E0516");
    let ds = diags("id: y\nextends: weekdays\ncovers: {from: 2024-01-01, to: 2027-12-31}\n");
    assert_eq!(
        (ds[0].code.as_str(), ds[0].message.as_str()),
        ("E0516", "`covers` cannot extend `weekdays`, which is unbounded")
    );
    // The same end as the base's is no change, and allowed.
    let same = "id: y\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2026-12-31}\n";
    assert_eq!(Calendar::from_yaml("y.yaml", same, None).unwrap().coverage(), cn().coverage());
}

#[test]
fn e0517_the_base_days_stay_as_they_are() {
    let text = "id: y\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-12-31}\n\
                holidays:\n  - {name: Extra Day, date: 2026-12-25}\n  \
                - {name: New Year's Day, from: 2026-12-30, to: 2027-01-01}\n  \
                - {name: Spring Festival, from: 2027-02-05, to: 2027-02-12}\n\
                makeup_workdays:\n  - {date: 2026-12-26, for: New Year's Day}\n  \
                - {date: 2027-02-14, for: Spring Festival}\n";
    let ds = diags(text);
    let found: Vec<(&str, u32, u32)> =
        ds.iter().map(|d| (d.code.as_str(), d.span.line, d.span.column)).collect();
    assert_eq!(found, [("E0517", 5, 5), ("E0517", 6, 5), ("E0517", 9, 5)]);
    assert_eq!(
        ds[0].message,
        "holiday `Extra Day` on `2026-12-25` lies in the range `cn-mainland` covers (2024-01-01 to 2026-12-31)"
    );
    assert_eq!(
        ds[2].message,
        "make-up working day `2026-12-26` lies in the range `cn-mainland` covers (2024-01-01 to 2026-12-31)"
    );
    assert!(ds[0].hint.as_deref().unwrap().starts_with(
        "the base's days stay as they are: add holidays and make-up days from 2027-01-01 on"
    ));
    // Without a wider `covers` there are no added days: every holiday is the base's business.
    let ds = diags("id: y\nextends: cn-mainland\nholidays:\n  - {name: X, date: 2027-01-04}\n");
    assert_eq!(ds[0].code, "E0504");
    let ds = diags("id: y\nextends: cn-mainland\nholidays:\n  - {name: X, date: 2026-01-05}\n");
    assert_eq!(ds[0].code, "E0517");
    // The zone and workweek still belong to the base.
    let ds = diags("id: y\nextends: cn-mainland\ntimezone: UTC\nworkweek: [mon]\n");
    assert_eq!(ds.iter().map(|d| d.code).collect::<Vec<_>>(), ["E0512", "E0512"]);
}

#[test]
fn added_make_up_days_are_checked_like_the_base_ones() {
    let head = "id: y\nextends: cn-mainland\ncovers: {from: 2024-01-01, to: 2027-12-31}\n\
                holidays:\n  - {name: Spring Festival, from: 2027-02-05, to: 2027-02-12}\n";
    // Not a weekend day; inside the holiday; for an unknown holiday.
    let text = format!(
        "{head}makeup_workdays:\n  - {{date: 2027-02-15, for: Spring Festival}}\n  \
         - {{date: 2027-02-06, for: Spring Festival}}\n  - {{date: 2027-02-14, for: Sping Festival}}\n"
    );
    let codes: Vec<_> = diags(&text).iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0503", "E0503", "E0511"]);
    // A make-up day may bridge a holiday the base defines (the name is known).
    let text = format!("{head}makeup_workdays:\n  - {{date: 2027-02-14, for: National Day}}\n");
    let cal = Calendar::from_yaml("y.yaml", &text, None).unwrap();
    assert_eq!(cal.day_kind(d("2027-02-14")), DayKind::MakeupWorkday);
    // Its local name comes from the nearest period of that name (National Day 2026).
    assert_eq!(
        cal.day_note(d("2027-02-14")).unwrap().to_string(),
        "make-up working day for National Day 国庆节"
    );
}
