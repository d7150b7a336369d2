//! Parsing scenario files: shapes accepted, mistakes located.

use super::*;

fn parse(text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    Scenario::parse(&Source::new("s.yaml", text))
}

fn codes(text: &str) -> Vec<(DiagnosticCode, u32, u32)> {
    parse(text).unwrap_err().iter().map(|d| (d.code, d.span.line, d.span.column)).collect()
}

const OK: &str = "\
policy: ../../policies/service-complaints.yaml
title: fee complaint
ticket: { id: T-1, at: 2026-02-13T17:30:00+08:00, fields: { category: fees, departments: [billing] } }
events:
  - { at: +20m, event: registered }
  - { at: 2026-02-14T10:00:00+08:00, event: attach, artifact: investigation_report }
  - { at: +1 working day, event: set, data: { claim_amount: 12000 } }
until: +30 calendar days
expect:
  stage: handle
  breaches: [handle]
  deadlines: { handle: 2026-02-27T00:00:00+08:00 }
  rejected: [2, report_filed, { event: resolved, code: not_accepted }]
";

#[test]
fn parses_the_design_example() {
    let s = parse(OK).unwrap();
    assert_eq!(s.policy.as_ref().unwrap().value, "../../policies/service-complaints.yaml");
    assert_eq!(s.ticket.fields["departments"], serde_json::json!(["billing"]));
    assert_eq!(s.events.len(), 3);
    assert_eq!(s.events[0].at.value, TimeSpec::After(Duration::Wall { seconds: 1200 }));
    assert_eq!(s.events[2].at.value, TimeSpec::After(Duration::WorkingDays(1)));
    assert_eq!(s.events[2].data.as_ref().unwrap()["claim_amount"], 12000);
    assert_eq!(s.until.unwrap().value, TimeSpec::After(Duration::CalendarDays(30)));
    let e = s.expect.unwrap();
    let keys: Vec<_> = e.items.iter().map(|(k, _)| (k.value.as_str(), k.span.line)).collect();
    assert_eq!(keys, [("stage", 10), ("breaches", 11), ("deadlines", 12), ("rejected", 13)]);
    let ExpectValue::Deadlines(d) = &e.items[2].1 else { panic!() };
    assert_eq!((d[0].0.span.line, d[0].0.span.column), (12, 16));
    assert_eq!(d[0].1.to_rfc3339(), "2026-02-26T16:00:00+00:00");
}

#[test]
fn unknown_keys_are_located_with_a_hint() {
    let text = "ticket: { at: 2026-02-13T17:30:00+08:00, feilds: {} }\nevents:\n  - { at: +1h, evnt: x }\nexpext: {}\n";
    let diags = parse(text).unwrap_err();
    let got: Vec<_> =
        diags.iter().map(|d| (d.code, d.span.line, d.span.column, d.hint.clone())).collect();
    assert_eq!(got[0], (DiagnosticCode::E0602, 1, 42, Some("did you mean `fields`?".into())));
    assert_eq!((got[1].0, got[1].1, got[1].2), (DiagnosticCode::E0603, 3, 5));
    assert_eq!((got[2].0, got[2].1, got[2].2), (DiagnosticCode::E0602, 3, 16));
    assert_eq!((got[3].0, got[3].1, got[3].2), (DiagnosticCode::E0602, 4, 1));
    assert_eq!(got[3].3.as_deref(), Some("did you mean `expect`?"));
}

#[test]
fn bad_times_point_into_the_value() {
    let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\nevents:\n  - { at: +3 dayz, event: x }\n  - { at: '2026-02-30T10:00:00+08:00', event: z }\n";
    assert_eq!(codes(text), [(DiagnosticCode::E0606, 3, 14), (DiagnosticCode::E0605, 4, 12)]);
    let text = "ticket: { at: +20m }\n";
    assert_eq!(codes(text), [(DiagnosticCode::E0605, 1, 15)]);
    let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\nuntil: 30 days\n";
    assert_eq!(codes(text), [(DiagnosticCode::E0605, 2, 8)]);
}

#[test]
fn bad_expect_values() {
    let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\nexpect:\n  breaches: many\n  closed: 1\n  deadlines: { handle: +1h }\n  rejected: [0]\n";
    assert_eq!(
        codes(text),
        [
            (DiagnosticCode::E0604, 3, 13),
            (DiagnosticCode::E0604, 4, 11),
            (DiagnosticCode::E0605, 5, 24),
            (DiagnosticCode::E0608, 6, 14)
        ]
    );
}

/// A second value for the same field or deadline would silently replace the first.
#[test]
fn duplicate_keys_in_fields_data_and_deadlines() {
    let text = "ticket: { at: 2026-02-13T17:30:00+08:00, fields: { kind: a, kind: b } }\n\
                events: [ { at: +1h, event: set, data: { n: 1, n: 2 } } ]\n\
                expect: { deadlines: { handle: 2026-02-26T00:00:00+08:00, handle: 2026-02-27T00:00:00+08:00 } }\n";
    assert_eq!(
        codes(text),
        [
            (DiagnosticCode::E0607, 1, 61),
            (DiagnosticCode::E0607, 2, 48),
            (DiagnosticCode::E0607, 3, 59)
        ]
    );
}

/// A count or event number past what the checker counts is refused, not dropped.
#[test]
fn counts_too_large_are_refused() {
    let text = "ticket: { at: 2026-02-13T17:30:00+08:00 }\nexpect:\n  breaches: 4294967296\n  rejected: [{ index: 4294967296 }]\n";
    assert_eq!(codes(text), [(DiagnosticCode::E0604, 3, 13), (DiagnosticCode::E0604, 4, 23)]);
}

#[test]
fn yaml_errors_and_missing_ticket() {
    assert_eq!(codes("ticket: [\n"), [(DiagnosticCode::E0601, 1, 9)]);
    assert_eq!(codes("events: []\n"), [(DiagnosticCode::E0603, 1, 1)]);
    assert_eq!(codes("ticket: {}\n"), [(DiagnosticCode::E0603, 1, 9)]);
}
