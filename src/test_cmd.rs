//! `ombud test`: run scenarios and check their `expect:` blocks.

use crate::input::Kind;
use crate::render::safe;
use crate::scenario_files::{self, Paint, Policies, Problem};
use ombud_engine::simulate::{ExpectValue, Failure};
use ombud_engine::{Engine, Scenario, Timeline, simulate, timefmt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `ombud test`.
#[derive(clap::Args)]
pub struct Args {
    /// Scenario files, or directories searched recursively for scenario files (policies and
    /// calendar files beside them are skipped).
    #[arg(value_name = "SCENARIO|DIR", required = true)]
    paths: Vec<PathBuf>,
}

/// What running one scenario's expectations gave.
enum Verdict {
    /// Every expectation held; how many refused events `expect: rejected` does not cover (none
    /// when the scenario states `rejected:`, which lists exactly the refused events).
    Pass(usize),
    /// Expectations that did not hold, and every refused event of the run, written out (a
    /// refused event often explains an expectation that failed).
    Fail(Vec<Failure>, Vec<String>),
    /// The scenario or its policy did not load (diagnostics printed).
    Broken(Problem),
}

/// Runs `ombud test`: exit 0 when every scenario passes, 1 on any failure (a scenario that does
/// not load, or whose policy does not, counts as failed), 2 when a path given does not exist.
/// The last line is always `N passed, N failed`.
pub fn run(args: Args) -> ExitCode {
    let files = match scenario_files::collect(&args.paths) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let paint = Paint::new(scenario_files::use_colour());
    let mut policies = Policies::default();
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        // A file named on the command line that is not a scenario is not run.
        let kind = Kind::of(file);
        if matches!(kind, Kind::Policy | Kind::Calendar) {
            outln!("skip {} ({}, not a scenario)", shown(file), kind.noun());
            continue;
        }
        match check(file, &mut policies) {
            Verdict::Pass(uncovered) => {
                passed += 1;
                let note = match uncovered {
                    0 => String::new(),
                    1 => " (1 refused event not in expect: rejected)".to_string(),
                    n => format!(" ({n} refused events not in expect: rejected)"),
                };
                outln!("{} {}{note}", paint.paint("32", "ok  "), shown(file));
            }
            Verdict::Fail(failures, refused) => {
                failed += 1;
                outln!("{} {}", paint.paint("1;31", "FAIL"), shown(file));
                for f in failures {
                    outln!(
                        "  {}:{}:{}: expect.{}\n    expected: {}\n    actual:   {}",
                        shown(file),
                        f.span.line,
                        f.span.column,
                        safe(&f.key),
                        safe(&f.expected),
                        safe(&f.actual)
                    );
                }
                if !refused.is_empty() {
                    outln!("  refused events:");
                    for r in refused {
                        outln!("    {}", safe(&r));
                    }
                }
            }
            Verdict::Broken(problem) => {
                failed += 1;
                outln!("{} {}", paint.paint("1;31", "FAIL"), shown(file));
                match &problem {
                    Problem::Io(msg) => outln!("  error: {}", safe(msg)),
                    Problem::Diagnostics(diags) => {
                        for d in diags {
                            for line in scenario_files::format_diagnostic(d).lines() {
                                outln!("  {line}");
                            }
                        }
                    }
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn check(file: &Path, policies: &mut Policies) -> Verdict {
    match run_one(file, policies) {
        Ok((scenario, timeline)) => {
            let failures = scenario.expect.as_ref().map(|e| e.check(&timeline)).unwrap_or_default();
            let refused: Vec<String> = timeline
                .rejected
                .iter()
                .map(|r| {
                    format!(
                        "event {} at {}: {} [{}]: {}",
                        r.index,
                        timefmt::human(timeline.tz, r.at),
                        r.event,
                        r.code,
                        r.message
                    )
                })
                .collect();
            if !failures.is_empty() {
                return Verdict::Fail(failures, refused);
            }
            let states_rejected = scenario.expect.as_ref().is_some_and(|e| {
                e.items.iter().any(|(_, v)| matches!(v, ExpectValue::Rejected(_)))
            });
            Verdict::Pass(if states_rejected { 0 } else { refused.len() })
        }
        Err(p) => Verdict::Broken(p),
    }
}

/// Runs one scenario under its own policy; a scenario without `expect:` passes when it runs.
fn run_one(file: &Path, policies: &mut Policies) -> Result<(Scenario, Timeline), Problem> {
    let scenario: Scenario = scenario_files::read_scenario_for(file, None, policies)?;
    let path = scenario_files::policy_path(&scenario, file, None)?;
    let policy = policies.load(&path)?;
    let engine = Engine::new(policy);
    scenario_files::check_against(&scenario, &engine)?;
    let timeline = simulate(&engine, &scenario)?;
    Ok((scenario, timeline))
}

/// A path as shown to a person.
fn shown(path: &Path) -> String {
    safe(&path.display().to_string()).into_owned()
}
