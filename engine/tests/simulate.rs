//! The simulation API as a host uses it: parse a scenario, run it under a compiled policy, check
//! expectations, compare two runs.

use ombud_engine::check::Source;
use ombud_engine::runtime::{Engine, RowKind};
use ombud_engine::simulate::{RowChange, Scenario, compare, simulate};
use std::path::Path;
use std::sync::Arc;

#[expect(clippy::unwrap_used, reason = "test helper: a policy that does not load fails the test")]
fn engine(policy: &str) -> Engine {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(policy);
    let (policy, _) = ombud_engine::load_policy_file(&path).unwrap();
    Engine::new(Arc::new(policy))
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a scenario that does not parse fails the test"
)]
fn scenario(text: &str) -> Scenario {
    Scenario::parse(&Source::new("inline.yaml", text)).unwrap()
}

const DISPUTED: &str = "\
ticket: { id: D-1, at: 2026-06-01T15:00:00+08:00, fields: { departments: [retail] } }
events:
  - { at: +30m, event: registered }
  - { at: 2026-06-02T10:30:00+08:00, event: attach, artifact: investigation_report }
  - { at: +30m, event: report_filed }
  - { at: 2026-06-04T09:00:00+08:00, event: resolved }
  - { at: +1h, event: attach, artifact: result_notice }
  - { at: +1h, event: attach, artifact: phone_confirmation }
  - { at: 2026-06-05T10:00:00+08:00, event: disputed }
  - { at: +1h, event: confirmed }
expect:
  deadlines: { handle: 2026-06-06T00:00:00+08:00 }
  rejected: [{ index: 8, code: not_accepted }, 2]
";

#[test]
fn relative_working_days_count_on_the_policys_calendar() {
    let s = scenario(
        "ticket: { at: 2026-02-13T17:50:00+08:00 }\nevents: [ { at: +1 working day, event: registered } ]\n",
    );
    let tl = simulate(&engine("policies/service-complaints.yaml"), &s).unwrap();
    let registered = tl.rows.iter().find(|r| r.kind == RowKind::Event).unwrap();
    // The end of the next working day: Sat 14 Feb 2026 is a make-up working day.
    assert_eq!(registered.at.to_rfc3339(), "2026-02-14T16:00:00+00:00");
}

#[test]
fn deadlines_are_those_of_the_last_visit_and_failures_carry_their_line() {
    let s = scenario(DISPUTED);
    let tl = simulate(&engine("policies/service-complaints.yaml"), &s).unwrap();
    // Second visit of handle from Fri 5 Jun: 8, 9, 10 Jun → end of Wed 10 Jun.
    assert_eq!(tl.deadline_of("handle").unwrap().to_rfc3339(), "2026-06-10T16:00:00+00:00");
    let failures = s.expect.as_ref().unwrap().check(&tl);
    let got: Vec<_> = failures.iter().map(|f| (f.key.as_str(), f.span.line)).collect();
    assert_eq!(got, [("deadlines.handle", 12), ("rejected", 13)]);
    assert_eq!(failures[1].expected, "[#8 [not_accepted], #2]");
    assert_eq!(failures[1].actual, "[#8 confirmed [not_accepted]]");
}

/// `assignee` and `mark_assignees` check the people: who holds the ticket at `until`, and whom
/// each performance mark was recorded against.
#[test]
fn expectations_name_the_people_marks_were_recorded_against() {
    let text = |expect: &str| {
        format!(
            "ticket: {{ id: P-1, at: 2026-03-10T09:00:00+08:00, fields: {{ departments: [network] }} }}
events:
  - {{ at: +10m, event: registered }}
  - {{ at: +5m, event: reassign, assignee: zhang.min }}
until: 2026-03-11T10:00:00+08:00
expect:
{expect}"
        )
    };
    let e = engine("policies/service-complaints.yaml");
    // The verify breach (Wed 11 Mar 09:10) escalates to the supervisor: the mark is against
    // frontline and zhang.min, and the supervisor's person is not named yet.
    let holds = scenario(&text(
        "  marks: [frontline]\n  mark_assignees: [zhang.min]\n  assignee: none\n  tier: supervisor\n",
    ));
    let tl = simulate(&e, &holds).unwrap();
    assert_eq!(tl.final_state.mark_assignees, [Some("zhang.min".to_string())]);
    assert_eq!(holds.expect.as_ref().unwrap().check(&tl), []);

    let wrong = scenario(&text("  mark_assignees: [li.wei]\n  assignee: zhang.min\n"));
    let failures = wrong.expect.as_ref().unwrap().check(&simulate(&e, &wrong).unwrap());
    let got: Vec<_> = failures
        .iter()
        .map(|f| (f.key.as_str(), f.span.line, f.expected.as_str(), f.actual.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("mark_assignees", 7, "[li.wei]", "[zhang.min]"),
            ("assignee", 8, "`zhang.min`", "`none`")
        ]
    );

    // A count of people would only repeat `marks`: it is refused where it is written.
    let diags =
        Scenario::parse(&Source::new("inline.yaml", text("  mark_assignees: 1\n"))).unwrap_err();
    let got: Vec<_> =
        diags.iter().map(|d| (d.code.as_str(), d.span.line, d.message.as_str())).collect();
    assert_eq!(
        got,
        [(
            "E0604",
            7,
            "`mark_assignees` must be a list of people (`none` for nobody), found a whole number"
        )]
    );
}

#[test]
fn compare_matches_rows_by_kind_stage_and_occurrence() {
    let s = scenario(DISPUTED);
    let old = simulate(&engine("policies/service-complaints.yaml"), &s).unwrap();
    let new = simulate(&engine("tests/fixtures/policies/service-complaints-2wd.yaml"), &s).unwrap();
    let diff = compare(&old, &new);
    let moved: Vec<(String, String)> = diff
        .changes
        .iter()
        .filter_map(|c| match c {
            RowChange::Moved { old, from, to, .. } if old.kind == RowKind::Deadline => {
                Some((from.to_rfc3339(), to.to_rfc3339()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        moved,
        [
            ("2026-06-05T16:00:00+00:00".into(), "2026-06-04T16:00:00+00:00".into()),
            ("2026-06-10T16:00:00+00:00".into(), "2026-06-09T16:00:00+00:00".into()),
        ]
    );
    assert!(compare(&old, &old).is_empty());
}
