//! Explanations follow each clock's real history: for every scenario in `examples/scenarios`,
//! after the opening and after every event (accepted or refused), each clock the ticket has is
//! explained to exactly the deadline it holds — through pauses, resumes and extensions in the
//! order they came. And the Spring Festival extension scenario, worked by hand.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests

use ombud_engine::check::Source;
use ombud_engine::runtime::{Engine, Event, OpenTicket, Ticket};
use ombud_engine::simulate::{Scenario, TimeSpec};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The scenario at `path` and an engine on its policy (a path relative to the scenario).
fn load(path: &Path) -> (Scenario, Engine) {
    let text = std::fs::read_to_string(path).unwrap();
    let scenario = Scenario::parse(&Source::new(path.to_string_lossy(), text)).unwrap();
    let policy = scenario.policy.as_ref().expect("every example names its policy");
    let file = path.parent().unwrap().join(&policy.value);
    let (policy, _) = ombud_engine::load_policy_file(&file).unwrap();
    (scenario, Engine::new(Arc::new(policy)))
}

/// Every clock of `ticket` is explained to the deadline it holds.
fn check_clocks(engine: &Engine, ticket: &Ticket, place: &str) -> usize {
    let mut names: Vec<&str> = ticket.obligations().keys().map(|k| k.as_str()).collect();
    if ticket.clock().is_some() {
        names.push(ticket.stage());
    }
    for name in &names {
        let clock = if *name == ticket.stage() && ticket.clock().is_some() {
            ticket.clock().unwrap()
        } else {
            &ticket.obligations().get(name).unwrap().clock
        };
        let why = engine.explain(ticket, name).unwrap().unwrap();
        assert_eq!(why.deadline.to_utc(), clock.deadline, "{place}: `{name}`\n{why}");
        assert_eq!(why.provisional.is_some(), clock.provisional, "{place}: `{name}`\n{why}");
        // The text ends its account of the deadline on the deadline the clock holds.
        let text = why.to_string();
        let held = ombud_engine::timefmt::human(engine.policy().calendar().tz(), clock.deadline);
        let ends_there = text.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with("deadline ")
                && !l.starts_with("deadline the clock holds")
                && l.ends_with(&held)
        });
        assert!(ends_there, "{place}: `{name}`\n{text}");
        assert!(!text.contains("the clock holds"), "{place}: `{name}`\n{text}");
    }
    names.len()
}

/// A property over real files: every clock at every step of every example scenario.
#[test]
fn every_example_clock_is_explained_to_the_deadline_it_holds() {
    let dir = root().join("examples/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{} scenarios", files.len());
    let (mut clocks, mut extended) = (0, 0);
    for path in &files {
        let (s, engine) = load(path);
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let open = OpenTicket {
            id: s.ticket.id.clone(),
            at: s.ticket.at,
            fields: s.ticket.fields.clone(),
        };
        let (mut ticket, _) = engine.open(&open).unwrap();
        clocks += check_clocks(&engine, &ticket, &format!("{name}, opened"));
        let mut prev = s.ticket.at;
        for (i, ev) in s.events.iter().enumerate() {
            let at = match ev.at.value {
                TimeSpec::At(t) => t,
                TimeSpec::After(d) => engine.policy().calendar().add(prev, d).unwrap().at,
            };
            prev = at;
            let event = Event::try_from(ev.recorded(at));
            if event.and_then(|e| engine.apply(&mut ticket, &e)).is_err() {
                let _ = engine.advance(&mut ticket, at);
            }
            clocks += check_clocks(&engine, &ticket, &format!("{name}, event {}", i + 1));
            let c = ticket.clock().filter(|c| !c.extended.is_empty());
            extended += usize::from(c.is_some());
        }
    }
    // The property covered clocks that were extended, not only plain ones.
    assert!(clocks > 300 && extended > 5, "{clocks} clocks, {extended} extended");
}

fn spring_festival() -> (Engine, Ticket) {
    let (s, engine) =
        load(&root().join("examples/scenarios/report-extension-across-spring-festival.yaml"));
    let open = OpenTicket { id: s.ticket.id, at: s.ticket.at, fields: s.ticket.fields };
    let (mut ticket, _) = engine.open(&open).unwrap();
    let t = |s: &str| s.parse().unwrap();
    let attach = Event::attach("extension_approval", t("2026-02-25T09:00:00+08:00"));
    engine.apply(&mut ticket, &attach).unwrap();
    let approved = Event::named("extension_approved", t("2026-02-25T15:00:00+08:00"));
    engine.apply(&mut ticket, &approved).unwrap();
    (engine, ticket)
}

/// 15 working days from Fri 30 Jan 2026 10:00 end Fri 27 Feb (2–13 Feb, the make-up Sat 14
/// Feb, the holiday 15–23 Feb, 24–27 Feb). The extension on Wed 25 Feb adds 15 working days
/// from the day after: the make-up Sat 28 Feb is day 1, Sun 1 Mar a weekend, Mon 2 – Thu 19 Mar
/// days 2–15 (2–6, 9–13, 16–19 Mar) → the end of Thu 19 Mar. The 80 % flag fired before the
/// extension, on the base limit, and is shown there; the step yet to fire, at 100 %, re-bases on
/// the extended limit, the end of Thu 19 Mar.
#[test]
fn the_spring_festival_extension_is_a_step_of_the_derivation() {
    let (engine, ticket) = spring_festival();
    let why = engine.explain(&ticket, "verify").unwrap().unwrap();
    assert_eq!(why.derivation.deadline.to_rfc3339(), "2026-02-28T00:00:00+08:00");
    assert_eq!(why.extensions.len(), 1);
    assert_eq!(why.deadline.to_rfc3339(), "2026-03-20T00:00:00+08:00");
    let text = why.to_string();
    let expected = "\
  extended Wed 25 Feb 2026 15:00 (`extension_approved`): by 15 working days, counted on from the deadline Fri 27 Feb 2026 24:00
    the deadline is 24:00, the end of Fri 27 Feb: counting starts the day after; the new deadline is the end of added working day 15 (24:00)
    Sat 28 Feb          make-up working day for Spring Festival 春节, counted: day 1
    Sun 1 Mar           weekend
    Mon 2 – Thu 19 Mar  working days 2–15
    deadline Thu 19 Mar 2026 24:00
  ladder:
    Tue 24 Feb 2026 21:12  flag at 80%: 80 % of the working time (fired)
    Thu 19 Mar 2026 24:00  escalate at 100%: 100 % of the extended working time (15 working days + 15 working days; the deadline)
";
    assert!(text.ends_with(expected), "{text}");
    // The base derivation is shown whole before it, and no pause is claimed.
    assert!(text.contains("    Sat 14 Feb              make-up working day for Spring Festival 春节, counted: day 11\n"), "{text}");
    assert!(!text.contains("pause"), "{text}");
    let json = serde_json::to_value(&why).unwrap();
    let x = &json["extensions"][0];
    assert_eq!(x["at"], "2026-02-25T15:00:00+08:00");
    assert_eq!(x["event"], "extension_approved");
    assert_eq!(x["change"], "by 15 working days");
    assert_eq!(x["whole_limit"], false);
    assert_eq!(x["from"], "2026-02-28T00:00:00+08:00");
    assert_eq!(x["deadline"], "2026-03-20T00:00:00+08:00");
    assert_eq!(x["added_seconds"], 15 * 86_400);
    assert_eq!(x["derivation"]["runs"][0]["run"], "counted");
    assert_eq!(x["derivation"]["runs"][0]["from"], "2026-02-28");
    assert_eq!(x["derivation"]["runs"][0]["note"]["reason"], "makeup_workday");
    assert_eq!(x["derivation"]["runs"][2]["first"], 2);
    assert_eq!(x["derivation"]["runs"][2]["last"], 15);
    assert_eq!(json["deadline"], "2026-03-20T00:00:00+08:00");
    // The flag fired before the extension, where the 15 working days placed it: 20 % of
    // 374 working hours (14h of Fri 30 Jan and 15 days) is 74h48m before the end of Fri 27 Feb,
    // Tue 24 Feb 21:12. Where the extended limit would place it is no firing.
    assert_eq!(json["steps"][0]["at"], "2026-02-24T21:12:00+08:00");
    assert_eq!(json["steps"][0]["rule"], "80 % of the working time");
    assert_eq!(json["steps"][0]["fired"], true);
}
