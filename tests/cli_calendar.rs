//! `ombud calendar`: the acceptance commands and the error paths, run on the built binary.

use std::process::{Command, Output};

#[allow(clippy::expect_used)] // test helper
fn ombud(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ombud")).args(args).output().expect("run ombud")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn days_lists_three_years_of_cn_mainland() {
    let o = ombud(&[
        "calendar",
        "days",
        "--calendar",
        "cn-mainland",
        "--from",
        "2024-01-01",
        "--to",
        "2026-12-31",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1 + 1096);
    assert_eq!(lines[0], "date,kind");
    for row in [
        "2024-01-01,holiday",
        "2024-02-04,makeup_workday",
        "2024-02-09,workday",
        "2024-06-08,weekend",
        "2025-01-26,makeup_workday",
        "2025-10-08,holiday",
        "2026-02-14,makeup_workday",
        "2026-02-15,holiday",
        "2026-02-23,holiday",
        "2026-02-24,workday",
        "2026-02-28,makeup_workday",
        "2026-09-20,makeup_workday",
        "2026-10-10,makeup_workday",
        "2026-12-31,workday",
    ] {
        assert!(lines.contains(&row), "missing {row}");
    }
    let working =
        lines.iter().filter(|l| l.ends_with(",workday") || l.ends_with(",makeup_workday"));
    assert_eq!(working.count(), 251 + 248 + 248);
}

#[test]
fn days_beyond_coverage_warn() {
    let o = ombud(&[
        "calendar",
        "days",
        "--calendar",
        "cn-mainland",
        "--from",
        "2026-12-31",
        "--to",
        "2027-01-01",
    ]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "date,kind\n2026-12-31,workday\n2027-01-01,workday\n");
    assert!(
        stderr(&o).starts_with("warning: calendar `cn-mainland` covers 2024-01-01 to 2026-12-31")
    );
}

#[test]
fn add_acceptance_case() {
    let o = ombud(&[
        "calendar",
        "add",
        "--calendar",
        "cn-mainland",
        "--from",
        "2026-02-13T17:30:00+08:00",
        "--duration",
        "3 working days",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "2026-02-26T00:00:00+08:00");
    assert_eq!(stderr(&o), "");
}

#[test]
fn add_json_and_provisional() {
    let base = ["calendar", "add", "--calendar", "cn-mainland", "--format", "json"];
    let o =
        ombud(&[&base[..], &["--from", "2026-02-13T17:30:00+08:00", "--duration", "3wd"]].concat());
    assert!(o.status.success());
    assert_eq!(
        stdout(&o).trim(),
        r#"{"deadline":"2026-02-26T00:00:00+08:00","provisional":false}"#
    );

    let o = ombud(
        &[&base[..], &["--from", "2026-12-28T10:00:00+08:00", "--duration", "7 working days"]]
            .concat(),
    );
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["deadline"], "2027-01-07T00:00:00+08:00");
    assert_eq!(v["provisional"], true);
    assert!(v["reason"].as_str().unwrap().contains("2026-12-31"));

    let o = ombud(&[
        "calendar",
        "add",
        "--calendar",
        "cn-mainland",
        "--from",
        "2026-12-28T10:00:00+08:00",
        "--duration",
        "7 working days",
    ]);
    assert!(o.status.success());
    assert!(stderr(&o).starts_with("warning: provisional deadline: calendar `cn-mainland`"));
}

#[test]
fn add_with_hours_override() {
    let o = ombud(&[
        "calendar",
        "add",
        "--calendar",
        "cn-mainland",
        "--from",
        "2026-02-13T17:30:00+08:00",
        "--duration",
        "8 working hours",
        "--hours",
        "09:00-12:00, 13:30-18:00",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // 30 min on Fri 13 Feb, then 3 h + 4 h 30 min on Sat 14 Feb (make-up day) = 8 h.
    assert_eq!(stdout(&o).trim(), "2026-02-14T18:00:00+08:00");
}

#[test]
fn bad_values_exit_1_with_a_message() {
    let cases: [(&[&str], &str); 5] = [
        (
            &["days", "--calendar", "cn-mainland", "--from", "2026-02-30", "--to", "2026-03-01"],
            "is not a date",
        ),
        (
            &["days", "--calendar", "cn-mainlnd", "--from", "2026-01-01", "--to", "2026-01-02"],
            "did you mean `cn-mainland`?",
        ),
        (
            &["add", "--calendar", "cn-mainland", "--from", "2026-02-13", "--duration", "3wd"],
            "not an RFC 3339 instant",
        ),
        (
            &[
                "add",
                "--calendar",
                "cn-mainland",
                "--from",
                "2026-02-13T17:30:00+08:00",
                "--duration",
                "3 days",
            ],
            "ambiguous",
        ),
        (
            &[
                "add",
                "--calendar",
                "cn-mainland",
                "--from",
                "2026-02-13T17:30:00+08:00",
                "--duration",
                "3wd",
                "--hours",
                "9-5",
            ],
            "invalid business hours",
        ),
    ];
    for (args, needle) in cases {
        let o = ombud(&[&["calendar"][..], args].concat());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"));
    }
}

#[test]
fn usage_errors_exit_2() {
    let o = ombud(&["calendar", "add", "--calendar", "cn-mainland"]);
    assert_eq!(o.status.code(), Some(2));
    let o = ombud(&["calendar", "frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_calendar_file_with_mistakes_is_reported_with_places() {
    let dir = std::env::temp_dir().join(format!("ombud-cli-cal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "id: bad\ntimezone: Asia/Shangai\nworkweek: [mon]\ncovers: unbounded\n")
        .unwrap();
    let path = file.to_string_lossy().into_owned();
    let o = ombud(&[
        "calendar",
        "days",
        "--calendar",
        &path,
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-02",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[E0501]: unknown time zone `Asia/Shangai`"), "{err}");
    assert!(err.contains("bad.yaml:2:11"), "{err}");
    assert!(err.contains("did you mean `Asia/Shanghai`?"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn add_explain_prints_the_derivation() {
    let args = [
        "calendar",
        "add",
        "--calendar",
        "cn-mainland",
        "--from",
        "2026-02-13T17:30:00+08:00",
        "--duration",
        "7 working days",
        "--explain",
    ];
    let o = ombud(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\
7 working days from Fri 13 Feb 2026 17:30, calendar cn-mainland (Asia/Shanghai)
  the day of receipt, Fri 13 Feb, is not counted; the deadline is the end of working day 7 (24:00)
  Sat 14 Feb           make-up working day for Spring Festival 春节, counted: day 1
  Sun 15 – Mon 23 Feb  Spring Festival 春节, holiday
  Tue 24 – Fri 27 Feb  working days 2–5
  Sat 28 Feb           make-up working day for Spring Festival 春节, counted: day 6
  Sun 1 Mar            weekend
  Mon 2 Mar            working day 7
  deadline Mon 2 Mar 2026 24:00
"
    );
    assert_eq!(stderr(&o), "");

    // JSON: the deadline as without `--explain`, and the explanation beside it.
    let o = ombud(&[&args[..], &["--format", "json"]].concat());
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["deadline"], "2026-03-03T00:00:00+08:00");
    let why = &v["explanation"];
    assert_eq!(why["deadline"], v["deadline"]);
    assert_eq!(why["rule"]["counting"], "working_days");
    assert_eq!(why["runs"][0]["note"]["reason"], "makeup_workday");
    assert_eq!(why["runs"][0]["note"]["for"], "Spring Festival");
    assert_eq!(why["runs"][1]["run"], "skipped");
    assert_eq!(why["runs"][1]["note"]["name"], "Spring Festival");
    assert_eq!(
        (why["runs"][1]["from"].as_str(), why["runs"][1]["to"].as_str()),
        (Some("2026-02-15"), Some("2026-02-23"))
    );
    assert_eq!(why["runs"].as_array().unwrap().len(), 6);

    // Provisional: the runs beyond the data say so, and the warning still goes to stderr.
    let o = ombud(&[
        "calendar",
        "add",
        "--calendar",
        "cn-mainland",
        "--from",
        "2026-12-28T10:00:00+08:00",
        "--duration",
        "7wd",
        "--explain",
    ]);
    assert!(o.status.success());
    // The weekend beyond the data is listed as skipped, like any weekend a handler checks.
    assert!(stdout(&o).contains(
        "  Fri 1 Jan 2027          working day 4, no holiday data (plain workweek)\n  \
         Sat 2 – Sun 3 Jan 2027  weekend, no holiday data (plain workweek)\n  \
         Mon 4 – Wed 6 Jan 2027  working days 5–7, no holiday data (plain workweek)\n"
    ));
    assert!(stdout(&o).ends_with(
        "  provisional: calendar `cn-mainland` covers dates up to 2026-12-31; 2027-01-01 was counted on the plain workweek\n"
    ));
    assert!(stderr(&o).starts_with("warning: provisional deadline"));
}

#[test]
fn calendar_day_explanations_list_each_day_once() {
    let explain = |from: &str, duration: &str| {
        let o = ombud(&[
            "calendar",
            "add",
            "--calendar",
            "cn-mainland",
            "--from",
            from,
            "--duration",
            duration,
            "--explain",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    // Mon 2 Feb + 15 calendar days: days 1–15 are Tue 3 – Tue 17 Feb; Sat 14 Feb is a make-up
    // working day, Spring Festival runs Sun 15 – Mon 23 Feb, so days 13–15 are holidays (counted)
    // and day 15, a holiday, rolls on over Wed 18 – Mon 23 Feb to Tue 24 Feb, 24:00.
    assert_eq!(
        explain("2026-02-02T10:00:00+08:00", "15 calendar days"),
        "\
15 calendar days from Mon 2 Feb 2026 10:00, calendar cn-mainland (Asia/Shanghai)
  day 1 is the day after the start; day 15 is not a working day, so the deadline is the end of the next working day (24:00)
  Tue 3 – Fri 13 Feb   calendar days 1–11
  Sat 14 Feb           calendar day 12, make-up working day for Spring Festival 春节
  Sun 15 – Tue 17 Feb  calendar days 13–15, Spring Festival 春节, holiday (counted)
  Wed 18 – Mon 23 Feb  Spring Festival 春节, holiday — day 15 is a rest day: rolled on
  Tue 24 Feb           the next working day
  deadline Tue 24 Feb 2026 24:00
"
    );
    // Mon 21 Sep + 10 calendar days: day 10 is Thu 1 Oct, National Day (1–7 Oct); the
    // Mid-Autumn Festival (Fri 25 – Sun 27 Sep) is counted; the deadline is Thu 8 Oct, 24:00.
    assert_eq!(
        explain("2026-09-21T10:00:00+08:00", "10 calendar days"),
        "\
10 calendar days from Mon 21 Sep 2026 10:00, calendar cn-mainland (Asia/Shanghai)
  day 1 is the day after the start; day 10 is not a working day, so the deadline is the end of the next working day (24:00)
  Tue 22 – Thu 24 Sep  calendar days 1–3
  Fri 25 – Sun 27 Sep  calendar days 4–6, Mid-Autumn Festival 中秋节, holiday (counted)
  Mon 28 – Wed 30 Sep  calendar days 7–9
  Thu 1 Oct            calendar day 10, National Day 国庆节, holiday (counted)
  Fri 2 – Wed 7 Oct    National Day 国庆节, holiday — day 10 is a rest day: rolled on
  Thu 8 Oct            the next working day
  deadline Thu 8 Oct 2026 24:00
"
    );
}

const NOTICES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/notices");

#[allow(clippy::expect_used)] // test helper
fn ombud_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ombud"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run ombud")
}

/// `ombud calendar days` for one year, as CSV rows.
fn year_rows(dir: &std::path::Path, calendar: &str, year: i32) -> String {
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let o =
        ombud_in(dir, &["calendar", "days", "--calendar", calendar, "--from", &from, "--to", &to]);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn from_notice_prints_a_calendar_file_for_the_year() {
    let dir = std::env::temp_dir().join(format!("ombud-from-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for year in [2024, 2025, 2026] {
        let notice = format!("{NOTICES}/{year}.txt");
        let o = ombud(&["calendar", "from-notice", &notice]);
        assert!(o.status.success(), "{}", stderr(&o));
        let file = dir.join(format!("cn-{year}.yaml"));
        std::fs::write(&file, stdout(&o)).unwrap();
        let lint = ombud(&["lint", file.to_str().unwrap()]);
        assert_eq!(stdout(&lint), "0 errors, 0 warnings in 1 file\n", "{}", stderr(&lint));
        assert!(stdout(&o).contains(&format!("\nid: cn-mainland-{year}\n")));
        // Day by day, the year is cn-mainland's.
        assert_eq!(
            year_rows(&dir, &format!("cn-{year}.yaml"), year),
            year_rows(&dir, "cn-mainland", year)
        );
    }
    // A year extends the file of the year before: the 2026 notice on top of the 2025 file.
    let o = ombud_in(
        &dir,
        &[
            "calendar",
            "from-notice",
            &format!("{NOTICES}/2026.txt"),
            "--extends",
            "cn-2025.yaml",
            "--id",
            "cn-25-26",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(
        "\nid: cn-25-26\nextends: cn-2025.yaml\ncovers: {from: 2025-01-01, to: 2026-12-31}\n"
    ));
    std::fs::write(dir.join("cn-25-26.yaml"), stdout(&o)).unwrap();
    for year in [2025, 2026] {
        assert_eq!(year_rows(&dir, "cn-25-26.yaml", year), year_rows(&dir, "cn-mainland", year));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn from_notice_refuses_what_it_cannot_read_with_the_place() {
    // cn-mainland already has 2026.
    let notice = format!("{NOTICES}/2026.txt");
    let o = ombud(&["calendar", "from-notice", &notice, "--extends", "cn-mainland"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.starts_with("error[E0526]: calendar `cn-mainland` already covers 2026"), "{err}");
    assert!(err.contains(&format!("{notice}:1:9")), "{err}");
    // A notice that contradicts itself.
    let dir = std::env::temp_dir().join(format!("ombud-bad-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("2026.txt");
    let text = std::fs::read_to_string(&notice).unwrap().replace("共9天", "共8天");
    std::fs::write(&bad, text).unwrap();
    let o = ombud(&["calendar", "from-notice", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "error[E0522]: the notice says `共8天`, but 2026-02-15 to 2026-02-23 is 9 days"
        ),
        "{err}"
    );
    assert!(err.contains(&format!("{}:9:43", bad.display())), "{err}");
    // Not UTF-8 (a notice saved as GBK), and no file at all.
    std::fs::write(&bad, [0xb9, 0xfa, 0xce, 0xf1, 0xd4, 0xba]).unwrap();
    let o = ombud(&["calendar", "from-notice", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is not UTF-8 text"));
    std::fs::remove_dir_all(&dir).unwrap();
    let o = ombud(&["calendar", "from-notice", "no/such/notice.txt"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: cannot read `no/such/notice.txt`"));
    let o = ombud(&["calendar", "from-notice", &notice, "--extends", "cn-mainlnd"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("did you mean `cn-mainland`?"));
}
