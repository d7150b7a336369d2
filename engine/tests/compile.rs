//! Compile output of the bundled policies and loader behaviour a policy author relies on.

use ombud_engine::policy::Duration;
use ombud_engine::policy::{Completion, LadderAction, StepAt, TierTarget};
use ombud_engine::{load_policy, load_policy_file};
use std::path::Path;

fn policies() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

#[test]
fn reference_policy_compiles_to_the_five_steps() {
    let (p, warnings) = match load_policy_file(&policies().join("service-complaints.yaml")) {
        Ok(ok) => ok,
        Err(diags) => panic!("{diags:#?}"),
    };
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(p.id(), "service-complaints");
    assert_eq!(p.version(), "2026.2");
    assert_eq!(p.digest().len(), 64);
    assert_eq!(p.tiers(), ["frontline", "supervisor", "service_center", "management"]);
    assert_eq!(p.stage(p.start()).name, "intake");
    let stage = |name: &str| p.stage(p.stage_id(name).unwrap());
    let tier = |name: &str| p.tier_id(name).unwrap();

    let intake = stage("intake");
    assert_eq!(intake.owner[0].value, tier("service_center"));
    assert_eq!(intake.due[0].value, Duration::Wall { seconds: 3600 });
    assert_eq!(intake.on[0].event, "registered");
    assert_eq!(intake.on[0].to, p.stage_id("verify").unwrap());
    assert_eq!(intake.auto[0].to, p.stage_id("emergency").unwrap());

    let verify = stage("verify");
    assert_eq!(verify.owner[0].value, tier("frontline"));
    assert_eq!(verify.due[0].value, Duration::Wall { seconds: 24 * 3600 });
    assert_eq!(verify.requires, ["investigation_report"]);

    let handle = stage("handle");
    assert_eq!(handle.owner.len(), 2);
    assert_eq!(handle.owner[0].value, tier("management"));
    assert!(handle.owner[0].when.is_some());
    assert_eq!(handle.owner[1].value, tier("supervisor"));
    assert!(handle.owner[1].when.is_none());
    assert_eq!(handle.due[0].value, Duration::WorkingDays(7));
    assert_eq!(handle.due[1].value, Duration::WorkingDays(3));

    let feedback = stage("feedback");
    assert_eq!(feedback.requires, ["result_notice", "phone_confirmation"]);
    let targets: Vec<(&str, &str)> =
        feedback.on.iter().map(|t| (t.event.as_str(), p.stage(t.to).name.as_str())).collect();
    assert_eq!(
        targets,
        [
            ("confirmed", "archive"),
            ("disputed", "handle"),
            ("arbitration_filed", "external"),
            ("court_mediation_filed", "external")
        ]
    );
    assert!(stage("archive").terminal);

    // The default ladder applies to every stage with `due` and no override.
    let ladder = |name: &str| stage(name).ladder.map(|l| p.ladder(l).name.as_str());
    for name in ["intake", "verify", "handle", "feedback", "compensate"] {
        assert_eq!(ladder(name), Some("standard"), "{name}");
    }
    assert_eq!(ladder("emergency"), Some("urgent"));
    assert_eq!(ladder("archive"), None);
    let steps = &p.ladders().iter().find(|l| l.name == "standard").unwrap().steps;
    assert_eq!(steps[0].at, StepAt::Percent(80.0));
    assert_eq!(steps[0].action, LadderAction::Flag);
    assert_eq!(steps[0].notify, Some(TierTarget::Owner));
    assert_eq!(steps[1].to, Some(TierTarget::Next));
    assert_eq!(steps[1].mark.as_deref(), Some("performance"));
    assert_eq!(steps[2].at, StepAt::Offset { before: false, by: Duration::WorkingDays(1) });
    assert_eq!(steps[2].at_text, "deadline + 1 working day");
    assert_eq!(steps[2].to, Some(TierTarget::Tier(tier("management"))));

    let joint = &p.groups()[0];
    assert_eq!((joint.lead, joint.member_tier), (tier("management"), tier("supervisor")));
    assert_eq!(joint.per, "departments");
    assert_eq!(joint.complete, Completion::All);
    assert_eq!(joint.stages, [p.stage_id("verify").unwrap(), p.stage_id("handle").unwrap()]);

    let statement = &p.obligations()[0];
    assert_eq!(statement.due, Duration::Wall { seconds: 72 * 3600 });
    assert_eq!(statement.done_on, "statement_published");
    assert_eq!(p.pauses()[0].on, "awaiting_complainant");
    assert_eq!(p.pauses()[0].resume_on, "complainant_replied");

    assert_eq!(p.edges().count(), 15);
    assert_eq!(p.calendar().id(), "cn-mainland");
}

#[test]
fn every_bundled_policy_compiles_without_warnings() {
    for entry in std::fs::read_dir(policies()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            match load_policy_file(&path) {
                Ok((_, w)) => assert!(w.is_empty(), "{}: {w:#?}", path.display()),
                Err(d) => panic!("{}: {d:#?}", path.display()),
            }
        }
    }
}

const SMALL: &str = "\
policy: p
calendar: cn-mainland
fields:
  category: { type: enum, values: [fees, safety] }
tiers: [agent, lead]
start: open
stages:
  open:
    owner: agent
    due: 3 wrking days
    on: { done: closd }
    auto:
      - { to: closed, when: 'category == \"feez\" && severty > 1' }
  closed: { terminal: true, colour: red }
";

#[test]
fn every_error_is_collected_with_its_exact_place() {
    let diags = load_policy("small.yaml", SMALL, None).unwrap_err().into_diagnostics();
    let got: Vec<(&str, u32, u32)> =
        diags.iter().map(|d| (d.code.as_str(), d.span.line, d.span.column)).collect();
    assert_eq!(
        got,
        [
            ("E0404", 10, 12), // the bad unit, not the start of the value
            ("E0201", 11, 17), // unknown stage `closd`
            ("E0403", 13, 42), // `"feez"`, not a value of `category`
            ("E0402", 13, 52), // `severty`, inside the quoted condition
            ("E0103", 14, 29), // unknown key `colour`
        ]
    );
    assert_eq!(diags[1].hint.as_deref(), Some("did you mean `closed`?"));
    assert_eq!(diags[3].message, "in condition: unknown variable `severty`");
    assert!(diags.iter().all(|d| d.file() == Some("small.yaml")));
}

#[test]
fn enum_literal_typo_points_at_the_literal() {
    let text = SMALL
        .replace(" && severty > 1", "")
        .replace("3 wrking days", "3 working days")
        .replace("closd", "closed")
        .replace(", colour: red", "");
    let diags = load_policy("small.yaml", &text, None).unwrap_err().into_diagnostics();
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, "E0403");
    assert_eq!((diags[0].span.line, diags[0].span.column), (13, 42));
    assert_eq!(diags[0].hint.as_deref(), Some("did you mean `fees`?"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// No input makes the loader panic: every failure is a located diagnostic.
    #[test]
    fn any_text_is_a_policy_or_located_diagnostics(text in "\\PC{0,200}") {
        if let Err(err) = load_policy("fuzz.yaml", &text, None) {
            proptest::prop_assert!(!err.diagnostics().is_empty());
            proptest::prop_assert!(err.diagnostics().iter().all(|d| d.file() == Some("fuzz.yaml")));
        }
    }

    /// Mutating the reference policy byte-by-byte never panics either.
    #[test]
    fn mutated_reference_policy_never_panics(at in 0usize..6000, byte in 0u8..128) {
        let mut text = std::fs::read_to_string(policies().join("service-complaints.yaml")).unwrap().into_bytes();
        let i = at % text.len();
        text[i] = byte;
        let text = String::from_utf8_lossy(&text).into_owned();
        let _ = load_policy("mutated.yaml", &text, None);
    }
}

/// Columns inside folded, literal and multi-line double-quoted conditions point at the exact text.
#[test]
fn columns_inside_multi_line_conditions() {
    let text = r#"policy: p
calendar: cn-mainland
fields:
  amount: { type: number }
  category: { type: enum, values: [fees, safety] }
tiers: [agent]
start: open
stages:
  open:
    owner: agent
    on:
      done:
        - to: closed
          when: >-
            amount > 10 &&
            category == "fes"
        - to: closed
          when: |
            amount > 10
            && amout < 5
        - to: closed
          when: "amount > 1 &&
            categry == \"x\""
  closed: { terminal: true }
"#;
    let diags = load_policy("ml.yaml", text, None).unwrap_err().into_diagnostics();
    let got: Vec<(&str, u32, u32)> =
        diags.iter().map(|d| (d.code.as_str(), d.span.line, d.span.column)).collect();
    assert_eq!(got, [("E0403", 16, 25), ("E0402", 20, 16), ("E0402", 23, 13)]);
}

#[test]
fn an_event_named_like_a_built_in_is_one_error_at_its_use() {
    let text = r#"policy: p
version: "1"
calendar: cn-mainland
tiers: [agent]
events: [done]
start: a
stages:
  a: { owner: agent, due: 1h, on: { set: b, done: b } }
  b: { terminal: true }
"#;
    let diags = load_policy("p.yaml", text, None).unwrap_err().into_diagnostics();
    let got: Vec<(&str, u32, u32, &str)> = diags
        .iter()
        .map(|d| (d.code.as_str(), d.span.line, d.span.column, d.message.as_str()))
        .collect();
    assert_eq!(got, [("E0206", 8, 37, "`set` is a built-in event")]);
}

/// Calendar files a policy or a calendar names are read within the 1 MiB cap, as the file
/// itself is: a device that never ends is refused at the cap, not read until memory runs out.
#[cfg(unix)]
#[test]
fn calendar_files_a_policy_or_a_calendar_names_are_read_within_the_cap() {
    use ombud_engine::Calendar;
    let too_large = "calendar file `/dev/zero` is larger than 1048576 bytes (1 MiB)";
    let text = "policy: p\ncalendar: /dev/zero\ntiers: [a]\nstart: s\n\
                stages:\n  s: {owner: a, on: {done: e}}\n  e: {terminal: true}\n";
    let found: Vec<(String, String, Option<String>)> = load_policy("p.yaml", text, None)
        .unwrap_err()
        .into_iter()
        .map(|d| (d.code.to_string(), d.message.clone(), d.file().map(str::to_string)))
        .collect();
    assert_eq!(
        found,
        [
            ("E0500".into(), too_large.into(), Some("/dev/zero".into())),
            ("E0208".into(), "calendar `/dev/zero` has errors".into(), Some("p.yaml".into())),
        ]
    );
    let extending = Calendar::from_yaml("org.yaml", "id: org\nextends: /dev/zero\n", None);
    let diags = extending.unwrap_err();
    assert!(diags.iter().any(|d| d.message == too_large), "{diags:#?}");
    let direct = Calendar::from_file(Path::new("/dev/zero")).unwrap_err();
    assert_eq!((direct[0].code.as_str(), direct[0].message.as_str()), ("E0500", too_large));
}
