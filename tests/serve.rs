//! `ombud serve` end to end: the real binary on a random port of 127.0.0.1. What it prints at
//! start, and that what its API exports is read unchanged by `ombud replay`, `ombud report` and
//! `ombud audit verify`; `--behind-https-proxy` makes the board's cookies `Secure`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

use chrono::{DateTime, NaiveTime, SubsecRound, TimeDelta, Utc};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

const POLICY: &str = "service-complaints";

/// A running `ombud serve`, killed when dropped.
struct Served {
    child: Child,
    url: String,
    lines: Vec<String>,
}

impl Served {
    /// Starts `ombud serve` on `db` and reads what it prints until it listens.
    fn start(db: &Path, extra: &[&str]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ombud"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "ombud serve stopped: {lines:?}");
            let line = line.trim_end().to_string();
            let last = line.starts_with("admin token") || line.starts_with("an admin token");
            lines.push(line);
            if last {
                break;
            }
        }
        let board = lines.iter().find_map(|l| l.strip_prefix("board: ")).expect("a board line");
        let url = board.trim_end_matches('/').to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        Served { child, url, lines }
    }

    fn admin_tokens(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter_map(|l| l.strip_prefix("admin token: "))
            .map(str::to_string)
            .collect()
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, String) {
        let client = reqwest::blocking::Client::new();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client.request(method, format!("{}{path}", self.url)).bearer_auth(token);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        let resp = req.send().unwrap();
        (resp.status().as_u16(), resp.text().unwrap())
    }

    fn json(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let (status, text) = self.call(method, path, token, body);
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// The `Set-Cookie` line of the board's login form.
    fn login_cookie(&self) -> String {
        let resp = reqwest::blocking::get(format!("{}/board/login", self.url)).unwrap();
        let line = resp.headers().get("set-cookie").expect("a cookie for the login form");
        line.to_str().unwrap().to_string()
    }

    /// Stops it with SIGTERM; its exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        self.child.wait().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ombud(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ombud")).args(args).output().unwrap()
}

/// Runs `ombud serve` on `db` with `--policies DIR`, for a start that is refused (it returns).
fn serve_refused(db: &Path, policies: &Path) -> Output {
    let (db, policies) = (db.to_str().unwrap(), policies.to_str().unwrap());
    ombud(&["serve", "--listen", "127.0.0.1:0", "--db", db, "--policies", policies])
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ombud-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn what_the_api_exports_the_cli_reads_unchanged() {
    let dir = temp_dir("export");
    let db = dir.join("ombud.db");
    let served = Served::start(&db, &[]);
    let admins = served.admin_tokens();
    assert_eq!(admins.len(), 1, "{:?}", served.lines);
    let admin = admins[0].clone();
    assert!(served.lines.iter().any(|l| l == "policy service-complaints 2026.2 deployed"));
    let (status, _) = served.call("GET", "/healthz", "", None);
    assert_eq!(status, 200);

    // Three complaints, events on them (one refused).
    // The openings fall on one day in the policy calendar's zone (Shanghai), so in the month
    // whose report counts them, whatever the time of day the test runs.
    let at: DateTime<Utc> = Utc::now().trunc_subsecs(0) - TimeDelta::minutes(30);
    let day = (at + TimeDelta::minutes(2)).with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let midnight = day.and_time(NaiveTime::MIN).and_local_timezone(chrono_tz::Asia::Shanghai);
    let at = at.max(midnight.single().unwrap().with_timezone(&Utc));
    let t = |minutes: i64| (at + TimeDelta::minutes(minutes)).to_rfc3339();
    let openings = [
        json!({"policy": POLICY, "id": "T-1", "at": t(0), "complainant": "C-1",
               "fields": {"text": "charged twice on my bill", "channel": "app"}}),
        json!({"policy": POLICY, "id": "T-2", "at": t(1), "complainant": "C-1",
               "fields": {"text": "rude staff at the window"}}),
        json!({"policy": POLICY, "id": "T-3", "at": t(2),
               "fields": {"text": "billing error", "departments": ["billing", "network"]}}),
    ];
    for o in openings {
        let (status, body) = served.json("POST", "/v1/tickets", &admin, Some(o));
        assert_eq!(status, 201, "{body}");
    }
    let events = [
        ("T-1", json!({"id": "1", "at": t(5), "event": "registered"}), 200),
        (
            "T-1",
            json!({"id": "2", "at": t(6), "event": "attach", "artifact": "investigation_report"}),
            200,
        ),
        ("T-1", json!({"id": "3", "at": t(7), "event": "report_filed"}), 200),
        ("T-2", json!({"id": "1", "at": t(8), "event": "registered"}), 200),
        ("T-2", json!({"id": "2", "at": t(9), "event": "resolved"}), 422),
        ("T-3", json!({"id": "1", "at": t(10), "event": "registered"}), 200),
    ];
    for (ticket, event, expect) in events {
        let (status, body) =
            served.json("POST", &format!("/v1/tickets/{ticket}/events"), &admin, Some(event));
        assert_eq!(status, expect, "{ticket}: {body}");
    }

    let (_, versions) = served.json("GET", &format!("/v1/policies/{POLICY}"), &admin, None);
    let version = versions["versions"][0]["version"].as_str().unwrap().to_string();
    let (status, source) =
        served.call("GET", &format!("/v1/policies/{POLICY}/versions/{version}"), &admin, None);
    assert_eq!(status, 200);
    let policy = write(&dir, "policy.yaml", &source);
    let (_, ledger) = served.call("GET", &format!("/v1/ledger?policy={POLICY}"), &admin, None);
    assert_eq!(ledger.lines().count(), 3 + 5, "three openings, five accepted events");
    let ledger = write(&dir, "ledger.jsonl", &ledger);
    let (_, store) =
        served.call("GET", &format!("/v1/ledger/tickets?policy={POLICY}"), &admin, None);
    let store = write(&dir, "store.jsonl", &store);
    let (p, l, s) = (policy.to_str().unwrap(), ledger.to_str().unwrap(), store.to_str().unwrap());

    let replayed =
        ombud(&["replay", "--policy", p, "--ledger", l, "--format", "json", "--on-error", "fail"]);
    assert!(replayed.status.success(), "{}", String::from_utf8_lossy(&replayed.stderr));
    let replayed: Value = serde_json::from_slice(&replayed.stdout).unwrap();
    assert_eq!((replayed["lines"].as_u64(), replayed["skipped"].as_u64()), (Some(8), Some(0)));
    let figures = &replayed["figures"][0];
    assert_eq!(
        (figures["tickets"].as_u64(), figures["applied"].as_u64(), figures["rejected"].as_u64()),
        (Some(3), Some(8), Some(0))
    );

    // The stored audit chains are exactly what the ledger produces.
    let verified = ombud(&["audit", "verify", "--policy", p, l, "--tickets", s]);
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
    let verified = ombud(&["audit", "verify", s]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stdout));

    // The report the API builds is the report `ombud report` builds from the export.
    let month = at.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m").to_string();
    let cli =
        ombud(&["report", "--policy", p, "--ledger", l, "--period", &month, "--format", "json"]);
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    let (status, api) =
        served.json("GET", &format!("/v1/reports/{month}?policy={POLICY}"), &admin, None);
    assert_eq!(status, 200);
    assert_eq!(api, cli);
    assert_eq!((api["tickets"].as_u64(), api["repeats"]["repeats"].as_u64()), (Some(3), Some(1)));

    // SIGTERM stops it cleanly. A second start issues no admin token; the first still works.
    assert!(served.stop().success());
    let again = Served::start(&db, &[]);
    assert!(again.admin_tokens().is_empty(), "{:?}", again.lines);
    assert_eq!(
        again.lines.last().unwrap(),
        "an admin token was issued on the first start; `--new-admin-token` issues another"
    );
    let (status, me) = again.json("GET", "/v1/me", &admin, None);
    assert_eq!((status, me["role"].as_str()), (200, Some("admin")));
    assert!(!again.login_cookie().contains("Secure"), "{}", again.login_cookie());
    drop(again);
    let fresh = Served::start(&db, &["--new-admin-token", "--behind-https-proxy"]);
    assert!(fresh.login_cookie().contains("; Secure"), "{}", fresh.login_cookie());
    let tokens = fresh.admin_tokens();
    assert_eq!(tokens.len(), 1);
    assert_ne!(tokens[0], admin);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_policy_with_errors_stops_the_start() {
    let dir = temp_dir("broken");
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let text = "policy: p\ncalendar: weekdays\ntiers: [agent]\nstart: open\nstages:\n  open: { owner: agent, on: { done: clsoed } }\n  closed: { terminal: true }\n";
    write(&policies, "p.yaml", text);
    let db = dir.join("ombud.db");
    let out = serve_refused(&db, &policies);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E0201]: unknown stage `clsoed`"), "{err}");
    assert!(err.contains("p.yaml:6:"), "{err}");
    assert!(err.contains("has errors; the server did not start"), "{err}");
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_policy_directory_holding_scenarios_and_calendars_deploys_only_its_policies() {
    let dir = temp_dir("mixed");
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = |from: &str, name: &str| {
        std::fs::copy(root.join(from), policies.join(name)).unwrap();
    };
    copy("policies/bank-complaints.yaml", "bank.yaml");
    copy("examples/scenarios/bank-15-30-60-days.yaml", "s1.yaml");
    copy("tests/fixtures/calendars/cn-mainland-2027-fixture.yaml", "cal.yaml");
    let db = dir.join("ombud.db");
    let served = Served::start(&db, &["--policies", policies.to_str().unwrap()]);
    let name = |file: &str| policies.join(file).display().to_string();
    assert_eq!(
        served.lines[..3],
        [
            format!("skipped {}: a calendar file, not a policy", name("cal.yaml")),
            format!("skipped {}: a scenario, not a policy", name("s1.yaml")),
            "policy bank-complaints 2026.3 deployed".to_string(),
        ]
    );
    let admin = served.admin_tokens()[0].clone();
    let (status, body) = served.json("GET", "/v1/policies/bank-complaints", &admin, None);
    assert_eq!((status, body["versions"][0]["version"].as_str()), (200, Some("2026.3")), "{body}");
    let at = Utc::now().trunc_subsecs(0).to_rfc3339();
    let open = json!({"policy": "bank-complaints", "id": "B-1", "at": at,
                      "fields": {"text": "card charged twice", "amount": 500, "product": "card"}});
    let (status, body) = served.json("POST", "/v1/tickets", &admin, Some(open));
    assert_eq!(status, 201, "{body}");
    assert!(served.stop().success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_policy_directory_file_over_the_cap_stops_the_start() {
    let dir = temp_dir("large");
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let big = format!("policy: p\n# {}\n", "x".repeat(1 << 20));
    write(&policies, "big.yaml", &big);
    let db = dir.join("ombud.db");
    let out = serve_refused(&db, &policies);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E0101]"), "{err}");
    assert!(err.contains("larger than 1048576 bytes (1 MiB)"), "{err}");
    assert!(out.stdout.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
