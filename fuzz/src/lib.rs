//! The fuzz harnesses of Ombud: one pair of bolero targets per input surface, on the stable
//! toolchain (`docs/fuzzing.md`). The crate is empty outside its tests.
//!
//! `<surface>` replays the surface's committed corpus (`src/__fuzz__/<surface>/corpus/`) and a
//! few random byte strings; `<surface>_mutants` runs structured mutants of that corpus (see
//! `mutate.rs`). Both check the property of `surfaces.rs`: a value or located errors, never a
//! panic. Under `cargo test` each is a short bounded run; `BOLERO_RANDOM_ITERATIONS` lengthens
//! it, and `cargo bolero test` runs the same targets under libFuzzer. The targets live at the
//! crate root of the library's own tests, so that their corpus directories are named for the
//! surface alone and libFuzzer's instrumented build links this one test binary.

#[cfg(test)]
mod mutate;
#[cfg(test)]
mod regressions;
#[cfg(test)]
mod surfaces;

#[cfg(test)]
use bolero::check;
#[cfg(test)]
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// Random byte strings per surface under `cargo test` (the corpus is always replayed whole).
#[cfg(test)]
const RANDOM_BYTES: usize = 32;

/// Structured mutants per surface under `cargo test`.
#[cfg(test)]
const MUTANTS: usize = 150;

/// Runs `check` on the mutant `recipe` describes; a panic names the mutant's text.
#[cfg(test)]
fn run_mutant(seeds: &mutate::Seeds, recipe: &mutate::Recipe, check: fn(&[u8])) {
    let text = seeds.mutant(recipe);
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(text.as_bytes()))) {
        eprintln!("failing input ({} bytes):\n{text:?}", text.len());
        resume_unwind(panic);
    }
}

macro_rules! surface {
    ($name:ident, $mutants:ident, $mutants_count:expr, $dictionary:expr) => {
        #[cfg(test)]
        #[test]
        fn $name() {
            check!().with_iterations(RANDOM_BYTES).for_each(|input: &[u8]| surfaces::$name(input));
        }

        #[cfg(test)]
        #[test]
        fn $mutants() {
            let seeds = mutate::Seeds::load(stringify!($name), $dictionary);
            check!()
                .with_type::<mutate::Recipe>()
                .with_iterations($mutants_count)
                .for_each(|recipe| run_mutant(&seeds, recipe, surfaces::$name));
        }
    };
}

surface!(
    policy_yaml,
    policy_yaml_mutants,
    MUTANTS,
    &[
        "stages:",
        "on:",
        "auto:",
        "due:",
        "within:",
        "when: ",
        "ladder:",
        "ladders:",
        "steps:",
        "at: deadline + ",
        "at: 50%",
        "escalate:",
        "to: ",
        "tier: ",
        "owner: ",
        "terminal: true",
        "requires: ",
        "groups:",
        "completion: ",
        "obligations:",
        "pause:",
        "resume: ",
        "derive:",
        "fields:",
        "type: enum",
        "values: ",
        "default: ",
        "keywords: ",
        "calendar: ",
        "extends: ",
    ]
);
surface!(
    calendar_yaml,
    calendar_yaml_mutants,
    MUTANTS,
    &[
        "id: ",
        "timezone: ",
        "workweek: ",
        "covers: ",
        "from: ",
        "to: ",
        "holidays:",
        "makeup:",
        "makeup_workdays:",
        "closures:",
        "hours: ",
        "cutoff: ",
        "extends: ",
        "sources:",
        "name: ",
        "date: ",
        "unbounded",
        "mon",
        "sat",
        "sun",
    ]
);
surface!(
    scenario,
    scenario_mutants,
    MUTANTS,
    &[
        "ticket:",
        "events:",
        "until: ",
        "expect:",
        "at: +",
        "at: ",
        "event: ",
        "artifact: ",
        "member: ",
        "to: ",
        "by: ",
        "data: ",
        "fields: ",
        "stage: ",
        "breaches: ",
        "rejected:",
        "deadline: ",
        "+30m",
        "+3 working days",
        "+400d",
        "2026-03-02T15:00:00+08:00",
    ]
);
surface!(
    ledger_line,
    ledger_line_mutants,
    MUTANTS,
    &[
        "{\"ticket\":\"T-00\",",
        "\"open\":",
        "\"event\":",
        "\"at\":",
        "\"fields\":",
        "\"by\":",
        "\"artifact\":",
        "\"data\":",
        "\"complainant\":",
        "\"2026-07-01T09:00:00Z\"",
        "{}",
        "[]",
        "\"\\u0000\"",
        "\"\\ud800\"",
    ]
);
surface!(
    event_json,
    event_json_mutants,
    MUTANTS,
    &[
        "{\"at\":\"2026-02-13T19:00:00+08:00\",\"event\":\"registered\"}",
        "\"event\":",
        "\"at\":",
        "\"artifact\":",
        "\"data\":",
        "\"member\":",
        "\"to\":",
        "\"assignee\":",
        "\"by\":",
        "\"reassign\"",
        "\"attach\"",
        "\"set\"",
        "\"member_done\"",
        "\"fields\":",
        "\"id\":",
        "{}",
        "[]",
        "null",
        "\"\\u0000\"",
    ]
);
surface!(
    audit_store,
    audit_store_mutants,
    MUTANTS,
    &[
        "\"manifest\":",
        "\"root\":",
        "\"signature\":",
        "\"tickets\":",
        "\"head\":",
        "\"records\":",
        "\"history\":",
        "\"hash\":",
        "\"prev\":",
        "\"audit_head\":",
        "0000000000000000",
        "{}",
        "[]",
    ]
);
surface!(
    duration_text,
    duration_text_mutants,
    400,
    &[
        "working days",
        "working day",
        "working hours",
        "calendar days",
        "calendar day",
        "days",
        "hours",
        "minutes",
        "wd",
        "wh",
        "cd",
        "h",
        "m",
        "s",
        "d",
        "w",
        "+",
        "-",
        "09:00-12:00",
        "13:30-18:00",
        "2026-Q3",
        "2026-07",
        "T",
        "+08:00",
    ]
);
surface!(
    condition_text,
    condition_text_mutants,
    MUTANTS,
    &[
        "&&",
        "||",
        "!",
        "==",
        "!=",
        "<",
        ">=",
        "(",
        ")",
        "[",
        "]",
        "in",
        "text",
        "amount",
        "kind",
        "departments",
        "urgent",
        ".len()",
        ".contains(",
        "\"fee\"",
        "true",
        "false",
        "1.0",
        "1e308",
        "9223372036854775807",
        "-",
        "*",
        "/",
        "%",
        "**",
        "+",
        ".",
        "fn",
        "let",
        "loop",
        "while",
        "eval(",
        "print(",
        "()",
        "#{",
        "}",
        ";",
        "``",
        "`${",
        "'",
    ]
);
surface!(
    notice_text,
    notice_text_mutants,
    MUTANTS,
    &[
        "国务院办公厅关于",
        "年部分节假日安排的通知",
        "一、",
        "二、",
        "元旦：",
        "春节：",
        "月",
        "日",
        "（周一）",
        "（周六）",
        "（周日）",
        "至",
        "放假调休，共",
        "天。",
        "上班。",
        "放假，共",
        "与周末连休。",
        "国务院办公厅",
        "2026年",
        "2099年",
        "0年",
        "13月",
        "32日",
        "2月29日",
    ]
);

/// The signed stores of the `audit_store` corpus verify clean with the key the harness checks
/// them against, so mutants start from a store whose every check passes.
#[cfg(test)]
#[test]
fn audit_store_corpus_is_signed_with_the_harness_key() {
    use ombud_engine::ledger::{RawLines, SignatureCheck, StoreVerifier};
    let path = mutate::corpus_dir("audit_store").join("small-signed.jsonl");
    let mut verifier = StoreVerifier::new();
    for line in RawLines::new(std::fs::read(path).unwrap().as_slice()) {
        let line = line.unwrap().unwrap();
        verifier.line(&line.number.to_string(), &line.text);
    }
    let report = verifier.finish(Some(&surfaces::store_key()));
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!((report.tickets.len(), report.signature), (11, Some(SignatureCheck::Valid)));
}
