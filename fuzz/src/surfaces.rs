//! The property every input surface keeps: for any input the engine answers with a value or
//! with located errors, never a panic or a hang. Each function takes the bytes of one input as
//! a user would hand them over (a file, a ledger line, a request body) and goes on through the
//! paths a host or the CLI takes with what loaded: a policy opens and runs a ticket, a calendar
//! counts deadlines, a scenario is simulated and its expectations checked, a ledger is replayed
//! and reported, an event is applied, a store is verified, a notice becomes a calendar.

use chrono::{DateTime, TimeDelta, Utc};
use ombud_engine::calendar::{BusinessHours, Calendar, Notice};
use ombud_engine::check::{Diagnostic, Source};
use ombud_engine::ledger::{
    OnError, RawLines, ReplayOptions, ReportOptions, StoreVerifier, build_report, ledger_tickets,
    replay, verify_ticket,
};
use ombud_engine::policy::{Duration, StageGraph};
use ombud_engine::runtime::{Engine, OpenTicket, RecordedEvent, Ticket};
use ombud_engine::simulate::{Scenario, TimeSpec, simulate};
use ombud_engine::{CompiledPolicy, load_policy, load_policy_file};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Events a policy's ticket is driven through at most.
const MAX_STEPS: usize = 24;

/// Ledger lines, store lines and events read per input at most.
const MAX_LINES: usize = 64;

/// The public key the corpus's signed stores were signed with: the Ed25519 key of the seed
/// `[7; 32]` (`signing.key` = 64 × `07`).
pub fn store_key() -> ed25519_dalek::VerifyingKey {
    ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key()
}

/// An instant of the fixtures' era.
fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).unwrap_or_default()
}

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The engine of a policy of the repository, loaded once.
fn engine_of(cell: &'static OnceLock<Engine>, path: &str) -> &'static Engine {
    cell.get_or_init(|| {
        let (policy, _) = load_policy_file(&repo(path))
            .unwrap_or_else(|e| panic!("{path}: {:?}", e.diagnostics()));
        Engine::new(Arc::new(policy))
    })
}

fn reference() -> &'static Engine {
    static CELL: OnceLock<Engine> = OnceLock::new();
    engine_of(&CELL, "policies/service-complaints.yaml")
}

fn short_handling() -> &'static Engine {
    static CELL: OnceLock<Engine> = OnceLock::new();
    engine_of(&CELL, "tests/fixtures/ledger/short-handling.yaml")
}

/// The engine a scenario's `policy:` names, among the repository's policies (by file name);
/// the reference policy for any other.
fn scenario_engine(policy: Option<&str>) -> &'static Engine {
    static BANK: OnceLock<Engine> = OnceLock::new();
    static HOTLINE: OnceLock<Engine> = OnceLock::new();
    match policy.and_then(|p| p.rsplit('/').next()) {
        Some("bank-complaints.yaml") => engine_of(&BANK, "policies/bank-complaints.yaml"),
        Some("city-hotline-12345.yaml") => engine_of(&HOTLINE, "policies/city-hotline-12345.yaml"),
        _ => reference(),
    }
}

/// Errors are located: there is at least one, each names its file and points inside it, at a
/// character boundary, with a line and column that exist; every diagnostic renders as text and
/// as the JSON `lint --format json` writes.
fn located(diags: &[Diagnostic], errors: bool) {
    if errors {
        assert!(diags.iter().any(|d| d.is_error()), "refused without an error: {diags:?}");
    }
    for d in diags {
        let _ = d.to_string();
        let _ = serde_json::to_string(&d.to_json());
        assert!(!d.message.is_empty(), "a diagnostic without a message: {d:?}");
        let Some(source) = d.source.as_deref() else {
            panic!("a diagnostic without its file: {d:?}");
        };
        assert!(d.span.is_known(), "a diagnostic without a place: {d:?}");
        within(d, d.span, source);
        if let Some((span, _)) = &d.related {
            within(d, *span, source);
        }
    }
}

fn within(d: &Diagnostic, span: ombud_engine::Span, source: &Source) {
    let text = &source.text;
    let end = span.offset.checked_add(span.len);
    assert!(
        end.is_some_and(|end| end <= text.len()
            && text.is_char_boundary(span.offset)
            && text.is_char_boundary(end)),
        "a span outside its text or inside a character: {d:?}"
    );
    let lines = text.split('\n').count().max(1);
    assert!(
        span.line >= 1 && span.column >= 1 && span.line as usize <= lines,
        "a line or column that does not exist: {d:?}"
    );
}

/// Policy YAML, as `ombud lint` and a host's `load_policy` read it; a policy that loads runs a
/// ticket.
pub fn policy_yaml(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    match load_policy("fuzz.yaml", &text, None) {
        Ok((policy, warnings)) => {
            located(&warnings, false);
            exercise_policy(policy);
        }
        Err(e) => located(e.diagnostics(), true),
    }
}

/// Draws `policy`, opens a ticket under it and drives it through the events it accepts, with
/// time passing; every refusal leaves the ticket as it was, and the audit chain stays whole.
fn exercise_policy(policy: CompiledPolicy) {
    let graph = StageGraph::of(&policy);
    let _ = (graph.mermaid(), graph.dot("fuzz"));
    let engine = Engine::new(Arc::new(policy));
    let at = instant("2026-02-13T17:30:00+08:00");
    let open = OpenTicket { id: "F-1".into(), at, fields: Default::default() };
    let Ok((mut ticket, _)) = engine.open(&open) else { return };
    let mut now = at;
    for step in 0..MAX_STEPS {
        let Ok(next) = engine.next_actions(&ticket, now) else { break };
        if next.closed {
            break;
        }
        now += TimeDelta::hours(if step % 3 == 0 { 1 } else { 30 });
        let advanced = ticket.clone();
        if engine.advance(&mut ticket, now).is_err() {
            assert_eq!(ticket, advanced, "a refused advance changed the ticket");
        }
        let Some(accepted) = next.events.get(step % next.events.len().max(1)) else {
            continue;
        };
        let mut event = serde_json::json!({"at": now.to_rfc3339(), "event": accepted.event});
        if let Some(to) = &accepted.to {
            event["to"] = to.clone().into();
        }
        if let Some(member) = &accepted.member {
            event["member"] = member.clone().into();
        }
        apply_json(&engine, &mut ticket, &event.to_string());
    }
    let _ = engine.advance(&mut ticket, now + TimeDelta::days(400));
    stored(&engine, &ticket);
}

/// Applies one event as JSON carries it; a refused event leaves the ticket exactly as it was.
fn apply_json(engine: &Engine, ticket: &mut Ticket, json: &str) {
    let Ok(event) = serde_json::from_str::<RecordedEvent>(json) else { return };
    let before = ticket.clone();
    if let Err(rejection) = engine.apply_recorded(ticket, &event) {
        assert!(!rejection.code().is_empty());
        let _ = rejection.to_string();
        assert_eq!(*ticket, before, "a refused event changed the ticket: {json}");
    }
}

/// The ticket as a host stores it: its chain verifies, it reads back as itself from JSON, and
/// it answers `next_actions`.
fn stored(engine: &Engine, ticket: &Ticket) {
    let verdict = verify_ticket(ticket);
    assert!(verdict.problem.is_none(), "the engine broke its own chain: {:?}", verdict.problem);
    let json = serde_json::to_string(ticket).expect("a ticket serializes");
    let back: Ticket = serde_json::from_str(&json).expect("a stored ticket reads back");
    assert_eq!(&back, ticket, "a ticket changed through JSON");
    let _ = engine.next_actions(ticket, ticket.clock_at());
}

/// Calendar YAML, as `ombud calendar` and a policy's `calendar:` read it; a calendar that loads
/// counts deadlines, explains them and maps the working clock.
pub fn calendar_yaml(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let _ = Calendar::is_calendar_text(&text);
    match Calendar::from_yaml("fuzz.yaml", &text, None) {
        Ok(cal) => exercise_calendar(&cal),
        Err(diags) => located(&diags, true),
    }
}

fn exercise_calendar(cal: &Calendar) {
    let (from, to) = cal.coverage();
    let _ = (cal.id(), cal.name(), cal.tz(), cal.cutoff(), cal.sources(), cal.covered_until());
    for date in [from, to, from.succ_opt().unwrap_or(from), to.pred_opt().unwrap_or(to)] {
        let _ = (cal.day_kind(date), cal.day_note(date), cal.covers(date));
    }
    let days = cal.working_days_between(from, from + TimeDelta::days(400).min(to - from));
    assert!(days >= 0);
    let starts = [
        instant("2026-02-13T17:30:00+08:00"),
        from.and_hms_opt(12, 0, 0).map(|t| t.and_utc()).unwrap_or_default(),
        to.and_hms_opt(23, 0, 0).map(|t| t.and_utc()).unwrap_or_default(),
    ];
    for text in ["1h", "3 working days", "8 working hours", "10 calendar days", "72h"] {
        let Ok(d) = text.parse::<Duration>() else { continue };
        for start in starts {
            let deadline = cal.add(start, d);
            let derivation = cal.explain(start, d);
            let _ = format!("{deadline:?}{derivation:?}");
            let w = cal.working_clock(start);
            let _ = cal.at_working_clock(w);
        }
    }
    let hours: Option<BusinessHours> = "09:00-12:00,13:30-18:00".parse().ok();
    let other = cal.with_overrides(hours, None, None);
    let _ = other.add(starts[0], Duration::WorkingDays(2));
}

/// A scenario file, as `ombud simulate` and `ombud test` run it (under the repository policy
/// it names, the reference policy otherwise): simulated, its expectations checked, its
/// timeline shown as text and JSON.
pub fn scenario(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let source = Source::new("fuzz.yaml", text.into_owned());
    let scenario = match Scenario::parse(&source) {
        Ok(s) => s,
        Err(diags) => return located(&diags, true),
    };
    if scenario.events.len() > MAX_LINES {
        return;
    }
    let engine = scenario_engine(scenario.policy.as_ref().map(|p| p.value.as_str()));
    match simulate(engine, &scenario) {
        Ok(timeline) => {
            let _ = serde_json::to_string(&timeline.to_json());
            let _ = serde_json::to_string(&timeline.view());
            let _ = (timeline.has_provisional(), timeline.clock_names());
            if let Some(expect) = &scenario.expect {
                for failure in expect.check(&timeline) {
                    let _ = format!("{failure:?}");
                }
            }
        }
        Err(d) => located(std::slice::from_ref(&*d), true),
    }
}

/// Ledger lines, as `ombud replay`, `ombud report` and `ombud ledger tickets` read them: each
/// malformed line a located error (its line number), the others replayed; the tickets the
/// ledger produces verify.
pub fn ledger_line(input: &[u8]) {
    if input.split(|&b| b == b'\n').count() > MAX_LINES {
        return;
    }
    let engine = short_handling();
    let options = ReplayOptions { keep_tickets: true, ..Default::default() };
    let engines = [engine.clone()];
    match replay(&engines, input, &options) {
        Ok(result) => {
            let lines = input.split(|&b| b == b'\n').count() as u64;
            for e in &result.errors {
                assert!(e.line >= 1 && e.line <= lines, "an error off the ledger: {e:?}");
                let _ = e.to_string();
            }
            let period = ReportOptions {
                period: "2026-Q3".parse().expect("a period"),
                seed: 7,
                repeat_window_secs: 30 * 86_400,
                repeat_window: "30d".into(),
            };
            let report = build_report(engine.policy(), &result.tickets, &period);
            let _ = serde_json::to_string(&report);
            // Two workers find what one finds.
            let parallel = ReplayOptions { threads: 2, ..Default::default() };
            let two = replay(&engines, input, &parallel).expect("one worker finished");
            assert_eq!((two.lines, two.skipped), (result.lines, result.skipped));
            assert_eq!(two.figures, result.figures, "two workers counted otherwise than one");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let strict = ReplayOptions { on_error: OnError::Fail, ..Default::default() };
    let _ = replay(&engines, input, &strict).map_err(|e| e.to_string());
    if let Ok((tickets, _errors)) = ledger_tickets(engine, &Default::default(), input) {
        for (ticket, _) in &tickets {
            stored(engine, ticket);
        }
    }
}

/// Event JSON, as a host (the server's `POST …/events`) hands it over: the first line opens a
/// ticket (or a fixed opening when it does not read as one), each further line is one event.
/// Every refusal leaves the ticket exactly as it was; the audit chain stays whole.
pub fn event_json(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let mut lines = text.lines().take(MAX_LINES);
    let engine = reference();
    let open = lines.next().and_then(|l| serde_json::from_str::<OpenTicket>(l).ok());
    let open = open.unwrap_or_else(|| OpenTicket {
        id: "E-1".into(),
        at: instant("2026-02-13T17:30:00+08:00"),
        fields: serde_json::from_str(r#"{"departments":["billing"],"text":"charged twice"}"#)
            .unwrap_or_default(),
    });
    let Ok((mut ticket, _)) = engine.open(&open) else { return };
    for line in lines {
        apply_json(engine, &mut ticket, line);
        let now = ticket.last_event_at() + TimeDelta::hours(1);
        let before = ticket.clone();
        if engine.advance(&mut ticket, now).is_err() {
            assert_eq!(ticket, before, "a refused advance changed the ticket");
        }
    }
    stored(engine, &ticket);
}

/// A ticket store (JSON Lines of tickets ending in a signed manifest), as `ombud audit verify`
/// reads it, with and without the public key.
pub fn audit_store(input: &[u8]) {
    let mut verifier = StoreVerifier::new();
    for item in RawLines::new(input).take(MAX_LINES) {
        match item {
            Ok(Ok(line)) => verifier.line(&format!("fuzz.jsonl:{}", line.number), &line.text),
            Ok(Err(e)) => verifier.unreadable(&format!("fuzz.jsonl:{}", e.line), &e.message),
            Err(_) => return,
        }
    }
    let report = verifier.finish(Some(&store_key()));
    let _ = (report.is_clean(), report.broken());
    for f in &report.findings {
        let _ = (f.label(), f.to_string());
    }
    for t in &report.tickets {
        let _ = format!("{:?}", t.verdict.problem.as_ref().map(|p| p.to_string()));
    }
}

/// Duration text (policies' `due:`, `calendar add --duration`), with the other short texts the
/// CLI and scenarios read: an instant or offset of a scenario, business hours, a date, a
/// reporting period. A duration that parses prints back as itself and counts on every bundled
/// calendar.
pub fn duration_text(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let _ = TimeSpec::parse(&text).map_err(|e| format!("{e:?}"));
    let _ = text.parse::<BusinessHours>().map_err(|e| e.to_string());
    let _ = ombud_engine::calendar::parse_date(&text);
    let _ = text.parse::<ombud_engine::ledger::Period>();
    let d = match text.parse::<Duration>() {
        Ok(d) => d,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(d.to_string().parse::<Duration>().ok(), Some(d), "`{d}` does not read back");
    for id in Calendar::bundled_ids() {
        let Some(cal) = Calendar::bundled(id) else { continue };
        for start in ["2026-02-13T17:30:00+08:00", "2026-12-31T23:59:59Z"] {
            let start = instant(start);
            let _ = cal.add(start, d);
            let _ = cal.explain(start, d);
        }
    }
}

/// Condition text (a `when:` of a policy): compiled where a guard, a conditional time limit
/// and a derived field use it, then evaluated as a ticket runs.
pub fn condition_text(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let when = serde_json::to_string(&*text).expect("a string serializes");
    let policy = format!(
        "policy: fuzz\nversion: \"1\"\ncalendar: cn-mainland\ntiers: [agent, lead]\n\
         fields:\n  text: {{type: string}}\n  amount: {{type: number, default: 0}}\n  \
         kind: {{type: enum, values: [fee, quality]}}\n  departments: {{type: list, default: []}}\n  \
         urgent: {{type: bool, default: false}}\n\
         derive:\n  major:\n    - {{when: {when}, value: true}}\n    - {{value: false}}\n\
         start: intake\nstages:\n  \
         intake:\n    owner: agent\n    due:\n      - {{when: {when}, within: 1h}}\n      - {{within: 3 working days}}\n    \
         auto:\n      - {{when: {when}, to: handle}}\n    on:\n      registered:\n        - {{when: {when}, to: handle}}\n        - {{to: closed}}\n  \
         handle: {{owner: lead, due: 2 working days, on: {{resolved: closed}}}}\n  \
         closed: {{terminal: true}}\n"
    );
    match load_policy("fuzz.yaml", &policy, None) {
        Ok((policy, warnings)) => {
            located(&warnings, false);
            exercise_policy(policy);
        }
        Err(e) => located(e.diagnostics(), true),
    }
}

/// The State Council's holiday notice, as `ombud calendar from-notice` reads it: a notice that
/// reads becomes a calendar file, which loads (or is refused with located errors).
pub fn notice_text(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    let notice = match Notice::read("notice.txt", &text) {
        Ok(n) => n,
        Err(diags) => return located(&diags, true),
    };
    let _ = format!("{notice:?}");
    let base = Calendar::bundled("cn-mainland");
    for extends in [None, base.as_deref().map(|c| ("cn-mainland", c))] {
        match notice.calendar_yaml("cn-notice", extends) {
            Ok(yaml) => match Calendar::from_yaml("cn-notice.yaml", &yaml, None) {
                Ok(cal) => exercise_calendar(&cal),
                Err(diags) => panic!("the calendar of a notice does not load: {diags:?}\n{yaml}"),
            },
            Err(diags) => located(&diags, true),
        }
    }
}
