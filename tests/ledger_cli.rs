//! The ledger commands end to end: `ombud ledger`, `replay`, `report`, `audit verify`.

#![allow(clippy::unwrap_used, clippy::panic, reason = "test helpers fail the test on bad fixtures")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ombud(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ombud")).current_dir(root()).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

const POLICY: &str = "policies/service-complaints.yaml";
const SMALL: &str = "tests/fixtures/ledger/small.jsonl";

fn temp(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ombud-ledger-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn generate_is_byte_identical_for_a_seed() {
    let a = ombud(&["ledger", "generate", "--tickets", "50", "--seed", "9"]);
    let b = ombud(&["ledger", "generate", "--tickets", "50", "--seed", "9"]);
    let c = ombud(&["ledger", "generate", "--tickets", "50", "--seed", "10"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
    assert!(stdout(&a).starts_with(r#"{"ticket":"T-000001","open":"#));
}

#[test]
fn generate_fills_a_required_enum_and_refuses_what_it_cannot_open() {
    // samr-12315 requires `kind` (complaint or report): every opening gives it.
    let o = ombud(&[
        "ledger",
        "generate",
        "--tickets",
        "200",
        "--seed",
        "7",
        "--policy",
        "policies/samr-12315.yaml",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-31",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let openings: Vec<_> = text.lines().filter(|l| l.contains(r#""open":"#)).collect();
    assert_eq!(openings.len(), 200);
    assert!(
        openings
            .iter()
            .all(|l| l.contains(r#""kind":"complaint""#) || l.contains(r#""kind":"report""#))
    );
    assert!(stderr(&o).starts_with("generated 200 tickets ("), "{}", stderr(&o));
    // From 30 Dec 9999 the first stage's 7 working days end after the last instant kept: no
    // opening is valid, so nothing is written and the exit code says so.
    let o = ombud(&[
        "ledger",
        "generate",
        "--tickets",
        "3",
        "--seed",
        "1",
        "--policy",
        "policies/samr-12315.yaml",
        "--from",
        "9999-12-30",
        "--to",
        "9999-12-30",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).starts_with(
            "error: the policy refuses the generated opening of ticket `T-000001`: \
             `7 working days` from 9999-12-30"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn replay_output_does_not_depend_on_threads() {
    let generated = ombud(&["ledger", "generate", "--tickets", "200", "--seed", "3"]);
    let path = temp("gen.jsonl", &generated.stdout);
    for ledger in [SMALL, path.to_str().unwrap()] {
        for format in ["text", "json"] {
            let run = |threads: &str| {
                let o = ombud(&[
                    "replay",
                    "--policy",
                    POLICY,
                    "--ledger",
                    ledger,
                    "--against",
                    "tests/fixtures/ledger/short-handling.yaml",
                    "--format",
                    format,
                    "--threads",
                    threads,
                ]);
                assert!(o.status.success(), "{}", stderr(&o));
                assert!(stderr(&o).contains("lines/s"));
                o.stdout
            };
            let one = run("1");
            assert_eq!(one, run("2"), "{ledger} {format}");
            assert_eq!(one, run("4"), "{ledger} {format}");
        }
    }
}

#[test]
fn replay_text_lists_the_changed_tickets() {
    let o = ombud(&[
        "replay",
        "--policy",
        POLICY,
        "--ledger",
        SMALL,
        "--against",
        "tests/fixtures/ledger/short-handling.yaml",
    ]);
    let out = stdout(&o);
    assert!(out.contains("tickets whose outcome changes: 2"), "{out}");
    assert!(
        out.contains("  T-02 (line 11): breaches 1 → 2, escalations 1 → 2, marks 1 → 2"),
        "{out}"
    );
    assert!(
        out.contains(
            "after:  2026-07-08 12:30  deadline  handle  1 working day → due Thu 9 Jul 2026 24:00"
        ),
        "{out}"
    );
}

#[test]
fn malformed_lines_skip_or_fail() {
    let mut text = std::fs::read_to_string(root().join(SMALL)).unwrap();
    text.insert_str(0, "not json\n");
    let path = temp("bad.jsonl", text.as_bytes());
    let path = path.to_str().unwrap();
    let skip = ombud(&["replay", "--policy", POLICY, "--ledger", path]);
    assert!(skip.status.success());
    assert!(stderr(&skip).contains("skipped line 1: malformed line"), "{}", stderr(&skip));
    assert!(stdout(&skip).contains("82 lines, 1 skipped as malformed"), "{}", stdout(&skip));
    let fail = ombud(&["replay", "--policy", POLICY, "--ledger", path, "--on-error", "fail"]);
    assert_eq!(fail.status.code(), Some(1));
    assert!(stderr(&fail).contains("line 1: malformed line"), "{}", stderr(&fail));
}

#[test]
fn report_formats() {
    let run = |format: &str| {
        let o = ombud(&[
            "report", "--policy", POLICY, "--ledger", SMALL, "--period", "2026-Q3", "--format",
            format,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let text = run("text");
    assert!(text.contains("tickets opened      10"), "{text}");
    assert!(text.contains("closed              7 (70.0% completion)"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["repeats"]["repeats"], 3);
    let csv = run("csv");
    assert!(csv.starts_with("section,key,value\n"));
    assert!(csv.contains("\ncategory,fees,3\n"), "{csv}");
    assert!(csv.contains("\nstage_p90_hours,handle,72.0000\n"), "{csv}");
    let html = run("html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 6, "4 distributions, on-time, handling time");
    assert!(!html.contains("<script") && !html.contains("<link"), "self-contained");
    let bad = ombud(&["report", "--policy", POLICY, "--ledger", SMALL, "--period", "2026-Q5"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!text.contains("Performance marks by person"), "nobody is named in the small ledger");

    // With T-05's verification assigned to a person, its overdue mark is counted against them.
    let small = std::fs::read_to_string(root().join(SMALL)).unwrap();
    let registered =
        r#"{"ticket":"T-05","event":{"at":"2026-07-06T09:30:00+08:00","event":"registered"}}"#;
    let assigned = small.replace(
        registered,
        &format!(
            "{registered}\n{}",
            r#"{"ticket":"T-05","event":{"at":"2026-07-06T09:40:00+08:00","event":"reassign","assignee":"zhang.min"}}"#
        ),
    );
    assert_ne!(assigned, small);
    let ledger = temp("assigned.jsonl", assigned.as_bytes());
    let ledger = ledger.to_str().unwrap();
    let o = ombud(&["report", "--policy", POLICY, "--ledger", ledger, "--period", "2026-Q3"]);
    let text = stdout(&o);
    assert!(
        text.contains(
            "Performance marks by person\n  assignee   marks  share\n  zhang.min      1  10.0%\n"
        ),
        "{text}"
    );
    let o = ombud(&[
        "report", "--policy", POLICY, "--ledger", ledger, "--period", "2026-Q3", "--format", "csv",
    ]);
    assert!(stdout(&o).contains("\nmarks_by_assignee,zhang.min,1\n"), "{}", stdout(&o));
}

#[test]
fn audit_verify_tickets_and_ledgers() {
    let store = ombud(&["ledger", "tickets", "--policy", POLICY, "--ledger", SMALL]);
    assert!(store.status.success(), "{}", stderr(&store));
    let store_text = stdout(&store);
    assert_eq!(store_text.lines().count(), 11);
    let store_path = temp("store.jsonl", store_text.as_bytes());
    let ok = ombud(&["audit", "verify", store_path.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stdout(&ok));
    // One ticket file, tampered, then verified on its own: exit 1 and the record it breaks.
    let t03 = store_text.lines().find(|l| l.contains(r#""id":"T-03""#)).unwrap();
    let verify_edited = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let mut ticket: serde_json::Value = serde_json::from_str(t03).unwrap();
        edit(&mut ticket);
        let path = temp(name, serde_json::to_string_pretty(&ticket).unwrap().as_bytes());
        let broken = ombud(&["audit", "verify", path.to_str().unwrap()]);
        assert_eq!(broken.status.code(), Some(1), "{name}");
        stdout(&broken)
    };
    // Record 5 renamed.
    assert_eq!(
        verify_edited("t03.json", &|t| t["history"][5]["entry"]["event"] = "confirmed".into()),
        "BROKEN  T-03: record seq 5 was altered: its hash does not match its contents\n"
    );
    // A state digest hand-edited to text that is no digest (uppercase hex, one digit short):
    // read as it is and reported as the record it breaks, not refused as unreadable.
    let no_digest = |t: &mut serde_json::Value| {
        let state = t["history"][2]["state"].as_str().unwrap().to_uppercase();
        t["history"][2]["state"] = state[1..].into();
    };
    assert_eq!(
        verify_edited("t03-digest.json", &no_digest),
        "BROKEN  T-03: record seq 2 was altered: its hash does not match its contents\n"
    );
    // The ledger against the store: intact, then with one line edited.
    let args = ["audit", "verify", "--policy", POLICY, "--tickets", store_path.to_str().unwrap()];
    let o = ombud(&[&args[..], &[SMALL]].concat());
    assert!(o.status.success(), "{}", stdout(&o));
    let edited = std::fs::read_to_string(root().join(SMALL)).unwrap().replace(
        "2026-07-03T16:00:00+08:00\",\"event\":\"resolved",
        "2026-07-03T15:00:00+08:00\",\"event\":\"resolved",
    );
    let edited = temp("edited.jsonl", edited.as_bytes());
    let o = ombud(&[&args[..], &[edited.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains(
            "MISMATCH  ticket `T-02`: record seq 4 differs from what ledger line 34 produces"
        ),
        "{}",
        stdout(&o)
    );
    // Without stored tickets: the heads an auditor compares.
    let heads = ombud(&["audit", "verify", "--policy", POLICY, SMALL]);
    let heads = stdout(&heads);
    assert!(heads.starts_with("ticket,records,head\nT-00,8,"), "{heads}");
}

/// The 2027 rehearsal from the command line: a ledger of tickets opened in December 2026 whose
/// deadlines run past cn-mainland's data, previewed with the 2027 fixture calendar. Hand-worked
/// (fixture: 1–3 Jan 2027 New Year, 5–12 Feb Spring Festival, Sun 14 Feb a make-up day):
/// - R-1, 7 working days from Mon 28 Dec: Dec 29–31, then Mon 4 – Thu 7 Jan (1 Jan is now a
///   holiday) → end of Thu 7 Jan, one working day later than the plain workweek's Wed 6 Jan.
/// - R-2, 30 working days from Mon 28 Dec: 27 by Thu 4 Feb, the Spring Festival, then Sun 14,
///   Mon 15, Tue 16 Feb → end of Tue 16 Feb instead of Mon 8 Feb: +3 working days.
/// - R-3, 3 working days from Mon 21 Dec, ends Thu 24 Dec: not provisional, not touched.
/// - R-4, 3 working days from Wed 30 Dec: Thu 31 Dec, Mon 4, Tue 5 Jan → end of Tue 5 Jan (+1).
/// - R-5 is closed. R-6, 10 calendar days from Wed 30 Dec: Sat 9 Jan rolls to Mon 11 Jan on
///   both calendars: confirmed.
#[test]
fn recalendar_previews_the_2027_arrangements_on_a_ledger() {
    let args = [
        "recalendar",
        "--policy",
        "tests/fixtures/policies/rehearsal-2027.yaml",
        "--calendar",
        "tests/fixtures/calendars/cn-mainland-2027-fixture.yaml",
        "--ledger",
        "tests/fixtures/ledger/december-2026.jsonl",
    ];
    let o = ombud(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "5 open tickets, calendar cn-mainland-2027-fixture: 4 provisional deadlines: 1 confirmed, \
         3 moved (3 later, up to +3 working days)\n  \
         R-1 stage `handle`: Wed 6 Jan 2027 24:00 → Thu 7 Jan 2027 24:00 (+1 working day)\n  \
         R-2 stage `handle`: Mon 8 Feb 2027 24:00 → Tue 16 Feb 2027 24:00 (+3 working days)\n  \
         R-4 stage `handle`: Mon 4 Jan 2027 24:00 → Tue 5 Jan 2027 24:00 (+1 working day)\n"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let o = ombud(&json_args);
    assert!(o.status.success());
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((json["provisional"].as_u64(), json["confirmed"].as_u64()), (Some(4), Some(1)));
    let r2 = json["clocks"].as_array().unwrap().iter().find(|c| c["ticket"] == "R-2").unwrap();
    // In the calendar's offset, as the explanation: the end of Tue 16 Feb.
    assert_eq!(
        (&r2["old"], &r2["new"]),
        (&"2027-02-09T00:00:00+08:00".into(), &"2027-02-17T00:00:00+08:00".into())
    );
    assert_eq!(
        (json["moves"]["later"].as_u64(), json["moves"]["earlier"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(json["unchanged_provisional"].as_u64(), Some(0));
    let runs = r2["explanation"]["derivation"]["runs"].as_array().unwrap();
    assert!(runs.iter().any(|r| r["note"]["name"] == "Spring Festival"), "{r2}");
}

/// A calendar update recorded in the ledger: the December 2026 rehearsal ledger with one more
/// line, R-1 brought onto the 2027 fixture calendar on Tue 29 Dec 10:00. Hand-worked: R-1, 7
/// working days from Mon 28 Dec, ran to the end of Wed 6 Jan 2027 on cn-mainland (provisional);
/// on the fixture 1 Jan is New Year's Day, so it is due at the end of Thu 7 Jan (16:00 UTC).
#[test]
fn a_calendar_line_brings_its_ticket_onto_the_update() {
    const REHEARSAL: &str = "tests/fixtures/policies/rehearsal-2027.yaml";
    const FIXTURE: &str = "tests/fixtures/calendars/cn-mainland-2027-fixture.yaml";
    let mut ledger = std::fs::read_to_string("tests/fixtures/ledger/december-2026.jsonl").unwrap();
    ledger.push_str(
        r#"{"ticket":"R-1","calendar":{"at":"2026-12-29T10:00:00+08:00","id":"cn-mainland-2027-fixture"}}"#,
    );
    ledger.push('\n');
    let path = temp("december-updated.jsonl", ledger.as_bytes());
    let path = path.to_str().unwrap();
    let not_given =
        "line 8: calendar `cn-mainland-2027-fixture` is not given; pass --calendar FILE";

    // Without `--calendar`, the line is malformed, located, under the `--on-error` rules.
    let skip = ombud(&["replay", "--policy", REHEARSAL, "--ledger", path, "--format", "json"]);
    assert!(skip.status.success(), "{}", stderr(&skip));
    assert!(stderr(&skip).contains(&format!("skipped {not_given}")), "{}", stderr(&skip));
    let json: serde_json::Value = serde_json::from_str(&stdout(&skip)).unwrap();
    // 6 openings and R-5's `done`.
    assert_eq!(
        (json["skipped"].as_u64(), json["figures"][0]["applied"].as_u64()),
        (Some(1), Some(7))
    );
    let fail = ombud(&["replay", "--policy", REHEARSAL, "--ledger", path, "--on-error", "fail"]);
    assert_eq!(fail.status.code(), Some(1));
    assert!(stderr(&fail).contains(&format!("{path}: {not_given}")), "{}", stderr(&fail));
    let verify = ombud(&["audit", "verify", "--policy", REHEARSAL, path]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(stderr(&verify).contains(not_given), "{}", stderr(&verify));

    // With it, the line is applied (the 8th applied line) and R-1 runs on the fixture.
    let with = ["--calendar", FIXTURE];
    let o = ombud(
        &[&["replay", "--policy", REHEARSAL, "--ledger", path, "--format", "json"], &with[..]]
            .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (json["skipped"].as_u64(), json["figures"][0]["applied"].as_u64()),
        (Some(0), Some(8))
    );

    let o = ombud(
        &[&["ledger", "tickets", "--policy", REHEARSAL, "--ledger", path], &with[..]].concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let store = stdout(&o);
    let r1: serde_json::Value = store
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|t| t["id"] == "R-1")
        .unwrap();
    let history = r1["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "the opening and the calendar update: {r1}");
    assert_eq!(history[1]["entry"]["calendar"], "cn-mainland-2027-fixture");
    assert_eq!(history[1]["entry"]["at"], "2026-12-29T02:00:00Z");
    assert_eq!(r1["clock"]["deadline"], "2027-01-07T16:00:00Z");
    // No longer provisional (the flag is written only when set).
    assert_eq!(r1["clock"].get("provisional"), None, "{r1}");
    let store = temp("december-updated-store.jsonl", store.as_bytes());
    let store = store.to_str().unwrap();

    // The stored chains are the ones the ledger produces on the update; without it, R-1's
    // calendar record is one the ledger does not produce.
    let verify = ["audit", "verify", "--policy", REHEARSAL, path, "--tickets", store];
    let o = ombud(&[&verify[..], &with[..]].concat());
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("6 ledger tickets, 6 stored tickets, 0 mismatches"),
        "{}",
        stdout(&o)
    );
    let o = ombud(&verify);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains(
            "MISMATCH  ticket `R-1`: the ledger yields 1 records, the stored ticket has 2"
        ),
        "{}",
        stdout(&o)
    );

    // Previewing the same calendar leaves R-1, already on it, alone: of the other provisional
    // deadlines (recalendar_previews_the_2027_arrangements_on_a_ledger), R-2 and R-4 move and
    // R-6 is confirmed.
    let o = ombud(&["recalendar", "--policy", REHEARSAL, "--calendar", FIXTURE, "--ledger", path]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "5 open tickets, calendar cn-mainland-2027-fixture: 3 provisional deadlines: \
             1 confirmed, 2 moved (2 later, up to +3 working days)\n\
             1 open tickets already on it, left alone\n"
        ),
        "{text}"
    );
    assert!(!text.contains("R-1"), "{text}");
}

/// What `recalendar` says when it refuses to bring the December 2026 rehearsal ledger onto
/// `calendar` (it exits with code 1 and writes nothing on stdout).
fn recalendar_refusal(calendar: &Path) -> String {
    let o = ombud(&[
        "recalendar",
        "--policy",
        "tests/fixtures/policies/rehearsal-2027.yaml",
        "--calendar",
        calendar.to_str().unwrap(),
        "--ledger",
        "tests/fixtures/ledger/december-2026.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    stderr(&o)
}

#[test]
fn recalendar_refuses_a_calendar_that_covers_less_than_the_policys() {
    // What `calendar from-notice` prints without `--extends`: the year alone.
    let alone = temp(
        "alone-2027.yaml",
        b"id: cn-mainland-2027\ntimezone: Asia/Shanghai\nworkweek: [mon, tue, wed, thu, fri]\n\
          covers: {from: 2027-01-01, to: 2027-12-31}\n\
          holidays:\n  - {name: New Year's Day, from: 2027-01-01, to: 2027-01-03}\n",
    );
    assert_eq!(
        recalendar_refusal(&alone),
        "error: calendar `cn-mainland-2027` cannot replace `cn-mainland`: it covers 2027-01-01 to \
         2027-12-31 and leaves out 2024-01-01 to 2026-12-31, which `cn-mainland` covers\n  \
         hint: an update extends the calendar it replaces and adds to it: `extends: cn-mainland` \
         in the file (`ombud calendar from-notice NOTICE --extends cn-mainland`)\n"
    );
    // A date before the file's data is provisional, and says where the data starts.
    let o = ombud(&[
        "calendar",
        "add",
        "--calendar",
        alone.to_str().unwrap(),
        "--from",
        "2026-09-28T10:00:00+08:00",
        "--duration",
        "15 working days",
    ]);
    assert!(stderr(&o).contains(
        "calendar `cn-mainland-2027` covers dates from 2027-01-01; 2026-09-28 was counted on the \
         plain workweek"
    ), "{}", stderr(&o));
}

#[test]
fn recalendar_refuses_a_calendar_with_other_business_hours_or_cutoff() {
    // The 2027 fixture with business hours and a cutoff of its own: every open ticket's working
    // time would be recounted.
    let fixture = std::fs::read_to_string(
        root().join("tests/fixtures/calendars/cn-mainland-2027-fixture.yaml"),
    )
    .unwrap();
    let changed = temp(
        "hours-2027.yaml",
        format!("{fixture}hours: \"09:00-17:00\"\ncutoff: \"16:00\"\n").as_bytes(),
    );
    assert_eq!(
        recalendar_refusal(&changed),
        "error: calendar `cn-mainland-2027-fixture` cannot replace `cn-mainland`: its business \
         hours are \"09:00-17:00\", those of `cn-mainland` none (whole days); its cutoff is \
         \"16:00\", that of `cn-mainland` none\n  \
         hint: an update extends the calendar it replaces and adds to it: `extends: cn-mainland` \
         in the file (`ombud calendar from-notice NOTICE --extends cn-mainland`), and keeps its \
         business hours and cutoff: no `hours` or `cutoff` in the file\n"
    );
}

/// `report` counts handling hours on the calendar each ticket is on: R-1, opened Wed 30 Dec 2026
/// 10:00 (Shanghai) and done Mon 4 Jan 2027 10:00, was brought onto the 2027 fixture on 31 Dec,
/// where 1–3 Jan is New Year's Day: 14 h of 30 Dec, 24 h of 31 Dec and 10 h of 4 Jan, 48 working
/// hours. On cn-mainland (no data for 2027) Fri 1 Jan would count 24 h more.
#[test]
fn report_counts_handling_hours_on_the_calendar_a_ticket_is_on() {
    const REHEARSAL: &str = "tests/fixtures/policies/rehearsal-2027.yaml";
    const FIXTURE: &str = "tests/fixtures/calendars/cn-mainland-2027-fixture.yaml";
    let open =
        r#"{"ticket":"R-1","open":{"at":"2026-12-30T10:00:00+08:00","fields":{"lane":"normal"}}}"#;
    let update = r#"{"ticket":"R-1","calendar":{"at":"2026-12-31T10:00:00+08:00","id":"cn-mainland-2027-fixture"}}"#;
    let done = r#"{"ticket":"R-1","event":{"at":"2027-01-04T10:00:00+08:00","event":"done"}}"#;
    let report = |lines: &[&str], extra: &[&str]| {
        let path = temp(&format!("report-{}.jsonl", lines.len()), lines.join("\n").as_bytes());
        let args = ["report", "--policy", REHEARSAL, "--ledger", path.to_str().unwrap()];
        let o = ombud(&[&args[..], &["--period", "2026-12", "--format", "json"], extra].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        let handle = json["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "handle");
        (json["mean_total_hours"].as_f64(), handle.unwrap()["mean_hours"].as_f64())
    };
    assert_eq!(report(&[open, update, done], &["--calendar", FIXTURE]), (Some(48.0), Some(48.0)));
    // Without the update the ticket stays on cn-mainland, which counts Fri 1 Jan as a working
    // day.
    assert_eq!(report(&[open, done], &[]), (Some(72.0), Some(72.0)));
}
