//! Reading the State Council's holiday notices: the 2024, 2025 and 2026 notices as published
//! (`tests/fixtures/notices/`) reproduce those years of `holidays/cn-mainland.yaml` exactly, and
//! notices that contradict themselves or say what the reader does not know are refused, located.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use chrono::{Datelike, NaiveDate};
use ombud_engine::calendar::{Calendar, Notice};
use ombud_engine::check::Diagnostic;
use std::path::PathBuf;

fn notice_text(year: i32) -> String {
    let path = format!("{}/../tests/fixtures/notices/{year}.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

fn cn() -> std::sync::Arc<Calendar> {
    Calendar::bundled("cn-mainland").unwrap()
}

fn year_days(year: i32) -> impl Iterator<Item = NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap().iter_days().take_while(move |d| d.year() == year)
}

/// The calendar a notice gives, standalone.
fn from_notice(year: i32) -> Calendar {
    let notice = Notice::read(&format!("{year}.txt"), &notice_text(year)).unwrap();
    let yaml = notice.calendar_yaml(&format!("cn-{year}"), None).unwrap();
    Calendar::from_yaml("from-notice.yaml", &yaml, None)
        .unwrap_or_else(|d| panic!("{yaml}\n{d:#?}"))
}

fn assert_same_year(cal: &Calendar, year: i32) {
    let cn = cn();
    for day in year_days(year) {
        assert_eq!(cal.day_kind(day), cn.day_kind(day), "{day}");
        assert_eq!(cal.day_note(day), cn.day_note(day), "{day}");
    }
}

#[test]
fn each_notice_reproduces_its_year_of_cn_mainland() {
    for year in [2024, 2025, 2026] {
        let cal = from_notice(year);
        assert_eq!(cal.coverage().0.year(), year);
        assert_same_year(&cal, year);
        // The source entry is the bundled one (without the URL, which the notice does not give).
        let bundled = cn().sources().iter().find(|s| s.year == year).unwrap().clone();
        let read = &cal.sources()[0];
        assert_eq!(
            (read.year, &read.title, read.published),
            (bundled.year, &bundled.title, bundled.published)
        );
    }
}

#[test]
fn the_encouraged_day_off_is_a_working_day() {
    let notice = Notice::read("2024.txt", &notice_text(2024)).unwrap();
    let spring = &notice.arrangements[1];
    assert_eq!(spring.name, "Spring Festival");
    assert_eq!(spring.encouraged.len(), 1);
    assert!(spring.encouraged[0].contains("除夕（2月9日）"));
    let cal = from_notice(2024);
    assert!(cal.is_working_day("2024-02-09".parse().unwrap()));
    // Without `鼓励` the same sentence is not read as a day off, nor ignored: it is refused.
    let text = notice_text(2024).replace("鼓励各单位结合带薪年休假等制度落实，安排", "安排");
    let ds = Notice::read("2024.txt", &text).unwrap_err();
    assert_eq!(located(&ds), [("E0520", at(&text, "安排职工在除夕"))]);
}

#[test]
fn a_notice_extends_the_calendar_that_ends_the_year_before() {
    // 2025 on its own, saved as a file; then the 2026 notice extends it: what a centre does on
    // the day a notice appears, rehearsed with a year whose answer is known.
    let dir = std::env::temp_dir().join(format!("ombud-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let y2025 = Notice::read("2025.txt", &notice_text(2025)).unwrap();
    std::fs::write(dir.join("cn-2025.yaml"), y2025.calendar_yaml("cn-2025", None).unwrap())
        .unwrap();
    let base = Calendar::resolve("cn-2025.yaml", Some(&dir)).unwrap();
    let y2026 = Notice::read("2026.txt", &notice_text(2026)).unwrap();
    let yaml = y2026.calendar_yaml("cn-2025-2026", Some(("cn-2025.yaml", &base))).unwrap();
    assert!(
        yaml.contains("\nextends: cn-2025.yaml\ncovers: {from: 2025-01-01, to: 2026-12-31}\n"),
        "{yaml}"
    );
    let cal = Calendar::from_yaml("cn-2025-2026.yaml", &yaml, Some(&dir)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_same_year(&cal, 2025);
    assert_same_year(&cal, 2026);
    assert_eq!(cal.covered_until(), cn().covered_until());
    assert_eq!(cal.sources().iter().map(|s| s.year).collect::<Vec<_>>(), [2025, 2026]);
}

#[test]
fn a_notice_cannot_extend_a_calendar_that_does_not_end_the_year_before() {
    let y2026 = Notice::read("2026.txt", &notice_text(2026)).unwrap();
    let title = at(&notice_text(2026), "2026年部分");
    let cn = cn();
    let ds = y2026.calendar_yaml("x", Some(("cn-mainland", &cn))).unwrap_err();
    assert_eq!(located(&ds), [("E0526", title)]);
    assert_eq!(
        ds[0].message,
        "calendar `cn-mainland` already covers 2026 (its data runs to 2026-12-31)"
    );
    let weekdays = Calendar::bundled("weekdays").unwrap();
    let ds = y2026.calendar_yaml("x", Some(("weekdays", &weekdays))).unwrap_err();
    assert_eq!(ds[0].message, "calendar `weekdays` is unbounded: a notice cannot add a year to it");
    let y2024 = Notice::read("2024.txt", &notice_text(2024)).unwrap();
    let only_2024 =
        Calendar::from_yaml("c.yaml", &y2024.calendar_yaml("c", None).unwrap(), None).unwrap();
    let ds = y2026.calendar_yaml("x", Some(("c.yaml", &only_2024))).unwrap_err();
    assert_eq!(
        ds[0].message,
        "calendar `c` covers dates up to 2024-12-31: the notice for 2026 would leave 2025-01-01 to 2025-12-31 without data"
    );
}

/// Line and column (in characters) of the first `needle` in `text`.
fn at(text: &str, needle: &str) -> (u32, u32) {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (u32::try_from(line).unwrap(), u32::try_from(column).unwrap())
}

fn located(ds: &[Diagnostic]) -> Vec<(&'static str, (u32, u32))> {
    ds.iter().map(|d| (d.code.as_str(), (d.span.line, d.span.column))).collect()
}

/// Reads `text` mutated by replacing `from` with `to`; it must be refused.
fn refused(year: i32, from: &str, to: &str) -> (String, Vec<Diagnostic>) {
    let text = notice_text(year);
    assert!(text.contains(from), "`{from}` not in {year}.txt");
    let text = text.replacen(from, to, 1);
    match Notice::read("notice.txt", &text) {
        Ok(_) => panic!("`{from}` → `{to}` was accepted"),
        Err(ds) => {
            for d in &ds {
                assert_eq!(d.file(), Some("notice.txt"));
                assert!(d.span.is_known(), "{d}");
            }
            (text, ds)
        }
    }
}

#[test]
fn a_stated_length_that_does_not_match_the_days_is_refused() {
    let (text, ds) = refused(2024, "2月10日至17日放假调休，共8天", "2月10日至17日放假调休，共9天");
    assert_eq!(located(&ds), [("E0522", at(&text, "共9天"))]);
    assert_eq!(located(&ds), [("E0522", (10, 20))]);
    assert_eq!(ds[0].message, "the notice says `共9天`, but 2024-02-10 to 2024-02-17 is 8 days");
    let (text, ds) = refused(2025, "放假1天", "放假2天");
    assert_eq!(located(&ds), [("E0522", at(&text, "放假2天"))]);
    assert_eq!(ds[0].message, "the notice says `放假2天`, but 2025-01-01 to 2025-01-01 is 1 day");
    // A range across months is counted across them.
    let (text, ds) = refused(2025, "6月2日（周一）放假，共3天", "6月2日（周一）放假，共2天");
    assert_eq!(located(&ds), [("E0522", at(&text, "共2天"))]);
}

#[test]
fn a_weekday_that_does_not_match_its_date_is_refused() {
    let (text, ds) = refused(2024, "2月4日（星期日）", "2月4日（星期六）");
    assert_eq!(located(&ds), [("E0523", at(&text, "星期六"))]);
    assert_eq!(ds[0].message, "`星期六` does not match 2024-02-04, a sunday");
    // Also inside brackets that hold a lunar date, and at the end of a range.
    let (text, ds) = refused(2026, "（农历正月初七、周一）", "（农历正月初七、周二）");
    assert_eq!(located(&ds), [("E0523", at(&text, "周二）放假调休，共9天"))]);
}

#[test]
fn make_up_days_off_the_weekend_or_inside_the_days_off_are_refused() {
    let (text, ds) = refused(2024, "4月7日（星期日）上班", "4月8日上班");
    assert_eq!(located(&ds), [("E0524", at(&text, "4月8日"))]);
    assert_eq!(ds[0].message, "make-up working day 2024-04-08 is a monday, not a weekend day");
    let (text, ds) = refused(2024, "9月29日（星期日）、10月12日", "10月6日（星期日）、10月12日");
    assert_eq!(located(&ds), [("E0524", at(&text, "10月6日"))]);
    assert_eq!(ds[0].message, "make-up working day 2024-10-06 lies inside days off");
    let (_, ds) = refused(2026, "2月28日（周六）上班", "2月14日（周六）上班");
    assert_eq!(ds[0].message, "make-up working day 2026-02-14 is listed twice");
}

#[test]
fn what_the_reader_does_not_know_is_refused() {
    // An unknown holiday.
    let (text, ds) = refused(2026, "五、端午节", "五、端五节");
    assert_eq!(located(&ds), [("E0525", at(&text, "端五节"))]);
    assert!(ds[0].hint.as_deref().unwrap().contains("端午节 (Dragon Boat Festival)"));
    // A clause after `放假` it does not know.
    let (text, ds) = refused(2024, "6月10日放假，与周末连休", "6月10日放假，与周末连休或调休");
    assert_eq!(located(&ds), [("E0520", at(&text, "与周末连休或调休"))]);
    // A sentence about days that is neither days off nor make-up days.
    let (text, ds) =
        refused(2026, "5月9日（周六）上班。", "5月9日（周六）上班。5月8日下午照常休息。");
    assert_eq!(located(&ds), [("E0520", at(&text, "5月8日下午"))]);
    // Brackets it cannot read.
    let (text, ds) = refused(2025, "（农历除夕、周二）", "（除夕、周二）");
    assert_eq!(located(&ds), [("E0520", at(&text, "除夕、周二"))]);
    // A date that does not exist, and one it cannot read.
    let (text, ds) = refused(2026, "2月28日（周六）上班", "2月30日上班");
    assert_eq!(located(&ds), [("E0521", at(&text, "2月30日"))]);
    assert_eq!(ds[0].message, "`2月30日` is not a date in 2026");
    let (text, ds) = refused(2026, "4月4日（周六）至6日", "四月四日（周六）至6日");
    assert_eq!(located(&ds), [("E0520", at(&text, "四月四日"))]);
    // Days off that end before they start.
    let (text, ds) = refused(2024, "10月1日至7日", "10月8日至7日");
    assert_eq!(located(&ds), [("E0521", at(&text, "至7日"))]);
    // No title, no date of signature, no arrangements.
    let (_, ds) = refused(2026, "国务院办公厅关于2026年部分节假日安排的通知", "通知");
    assert_eq!(located(&ds), [("E0520", (1, 1))]);
    let (text, ds) = refused(2026, "2025年11月4日", "");
    assert_eq!(ds[0].message, "the notice does not end with the date it was signed");
    assert_eq!(located(&ds), [("E0520", at(&text, "国务院办公厅\n"))]);
    let only_title = "国务院办公厅关于2027年部分节假日安排的通知\n\n国务院办公厅\n2026年11月1日\n";
    let ds = Notice::read("n.txt", only_title).unwrap_err();
    assert_eq!(
        (ds[0].code.as_str(), ds[0].message.as_str()),
        ("E0520", "the notice has no numbered arrangements")
    );
}

#[test]
fn every_mistake_is_reported_in_one_run() {
    let text = notice_text(2026)
        .replacen("共3天", "共4天", 1)
        .replacen("2月14日（周六）", "2月14日（周日）", 1)
        .replacen("六、中秋节", "六、中秋", 1);
    let ds = Notice::read("n.txt", &text).unwrap_err();
    let codes: Vec<_> = ds.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0522", "E0523", "E0525"]);
    let lines: Vec<u32> = ds.iter().map(|d| d.span.line).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "sorted by place: {lines:?}");
}

#[test]
fn pasted_text_with_a_byte_order_mark_windows_line_ends_and_ascii_brackets_reads_the_same() {
    let text = format!(
        "\u{feff}{}",
        notice_text(2026)
            .replace('\n', "\r\n")
            .replace("（周四）", "(周四)")
            .replacen("2026年", "２０２６年", 1)
            .replace("1月1日", "１月１日")
    );
    let pasted = Notice::read("pasted.txt", &text).unwrap();
    let clean = Notice::read("2026.txt", &notice_text(2026)).unwrap();
    assert_eq!((pasted.year, pasted.published), (clean.year, clean.published));
    assert_eq!(
        pasted.arrangements.iter().map(|a| &a.days_off).collect::<Vec<_>>(),
        clean.arrangements.iter().map(|a| &a.days_off).collect::<Vec<_>>()
    );
    // Without empty lines between paragraphs, and with an arrangement wrapped onto two lines.
    let packed = notice_text(2026).replace("\n\n", "\n").replacen(
        "放假调休，共9天。",
        "放假调休，共9天。\n",
        1,
    );
    let read = Notice::read("packed.txt", &packed).unwrap();
    let days = |n: &Notice| -> Vec<_> {
        n.arrangements
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.name_local.clone(),
                    a.days_off.clone(),
                    a.makeup_workdays.clone(),
                )
            })
            .collect()
    };
    assert_eq!(days(&read), days(&clean));
    let yaml = read.calendar_yaml("cn-2026", None).unwrap();
    assert_same_year(&Calendar::from_yaml("packed.yaml", &yaml, None).unwrap(), 2026);
    assert_eq!(read.arrangements[1].makeup_workdays.len(), 2);
    assert_eq!(read.published, clean.published);
    // Locations still count characters from the start of the line.
    let bad = text.replacen("共3天", "共4天", 1);
    let ds = Notice::read("pasted.txt", &bad).unwrap_err();
    assert_eq!(located(&ds), [("E0522", (7, 26))]);
}

#[test]
fn the_output_is_a_calendar_file_that_lints() {
    // The printed file loads as it is, with its comments quoting the notice.
    let notice = Notice::read("2024.txt", &notice_text(2024)).unwrap();
    let yaml = notice.calendar_yaml("cn-2024", None).unwrap();
    assert!(yaml.contains("  # 五、端午节：6月10日放假，与周末连休。\n  - {name: Dragon Boat Festival, name_local: 端午节, date: 2024-06-10}\n"));
    assert!(yaml.contains("  # not a holiday (encouraged, not granted): 鼓励各单位"));
    assert!(yaml.contains("  - {date: 2024-02-04, for: Spring Festival}   # Sunday\n"));
    assert!(Calendar::is_calendar_text(&yaml));
    let _ = PathBuf::new();
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    /// Characters the notices are made of, to mutate them with.
    const ALPHABET: &[char] = &[
        '0', '1', '2', '3', '9', '月', '日', '年', '至', '、', '，', '。', '（', '）', '周', '六',
        '日', '放', '假', '上', '班', '共', '天', '鼓', '励', '\n', ' ', '：', '一', 'x',
    ];

    fn mutated() -> impl Strategy<Value = String> {
        (
            2024i32..=2026,
            proptest::collection::vec(
                (any::<prop::sample::Index>(), 0..ALPHABET.len(), 0u8..3),
                1..6,
            ),
        )
            .prop_map(|(year, edits)| {
                let mut chars: Vec<char> = notice_text(year).chars().collect();
                for (at, c, op) in edits {
                    let i = at.index(chars.len());
                    match op {
                        0 => chars[i] = ALPHABET[c],
                        1 => {
                            chars.remove(i);
                        }
                        _ => chars.insert(i, ALPHABET[c]),
                    }
                }
                chars.into_iter().collect()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// A mutated notice is read or refused, never a panic; what is read makes a calendar
        /// file that loads, and every refusal is located in the notice.
        #[test]
        fn mutated_notices(text in mutated()) {
            match Notice::read("n.txt", &text) {
                Ok(notice) => {
                    let yaml = notice.calendar_yaml("n", None).unwrap();
                    let loaded = Calendar::from_yaml("n.yaml", &yaml, None);
                    prop_assert!(loaded.is_ok(), "{}\n{:#?}", yaml, loaded.err());
                }
                Err(ds) => {
                    prop_assert!(!ds.is_empty());
                    for d in ds {
                        prop_assert!(d.span.is_known(), "{}", d);
                    }
                }
            }
        }

        #[test]
        fn any_text(text in "\\PC{0,300}") {
            let _ = Notice::read("n.txt", &text);
        }
    }
}
