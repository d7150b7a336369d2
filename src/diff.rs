//! `ombud diff`: how scenarios' timelines change between two versions of a policy.

use crate::render::safe;
use crate::scenario_files::{self, Paint, Policies, Problem};
use chrono_tz::Tz;
use ombud_engine::simulate::{RowChange, TimelineDiff, compare};
use ombud_engine::timefmt;
use ombud_engine::{Engine, TimelineRow, simulate};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `ombud diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The policy as it is.
    #[arg(value_name = "OLD_POLICY")]
    old: PathBuf,
    /// The policy as proposed.
    #[arg(value_name = "NEW_POLICY")]
    new: PathBuf,
    /// Scenario files, or directories searched recursively for scenario files.
    #[arg(value_name = "SCENARIO|DIR", required = true)]
    paths: Vec<PathBuf>,
}

/// Runs `ombud diff`: exit 0 when no timeline changes, 1 when one does, 2 on errors (a policy or
/// scenario that does not load, a path that does not exist). Scenarios whose own `policy:` has
/// another id than both policies compared are skipped (and counted as such).
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
    let (mut changed, mut errors, mut skipped) = (0usize, 0usize, 0usize);
    let (mut before, mut after) = (0u32, 0u32);
    for file in &files {
        match diff_one(file, &args.old, &args.new, &mut policies) {
            Ok(Compared::Skipped) => skipped += 1,
            Ok(Compared::Diff(diff, tz)) => {
                before += diff.breaches.0;
                after += diff.breaches.1;
                if !diff.is_empty() {
                    changed += 1;
                    outln!("{}", paint.paint("1", &safe(&file.display().to_string())));
                    out!("{}", render(&diff, tz, paint));
                }
            }
            Err(p) => {
                errors += 1;
                errln!("{}: cannot compare", safe(&file.display().to_string()));
                scenario_files::report(&p);
            }
        }
    }
    let total = files.len() - skipped;
    let skipped = if skipped > 0 {
        format!(" ({skipped} written for other policies skipped)")
    } else {
        String::new()
    };
    outln!(
        "{changed} of {total} scenario{} changed{skipped}; breaches {before} → {after}",
        if total == 1 { "" } else { "s" }
    );
    if errors > 0 {
        ExitCode::from(2)
    } else if changed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The comparison of one scenario, or why it was skipped.
enum Compared {
    Diff(TimelineDiff, Tz),
    /// The scenario is written for another policy.
    Skipped,
}

fn diff_one(
    file: &Path,
    old: &Path,
    new: &Path,
    policies: &mut Policies,
) -> Result<Compared, Problem> {
    let scenario = scenario_files::read_scenario(file)?;
    let old = policies.load(old)?;
    let new = policies.load(new)?;
    // A directory may hold scenarios for several policies: compare only those written for the
    // policy being changed (same `policy:` id), or that name no policy.
    if scenario.policy.is_some() {
        let own =
            scenario_files::policy_path(&scenario, file, None).and_then(|p| policies.load(&p)).ok();
        if own.is_some_and(|p| p.id() != old.id() && p.id() != new.id()) {
            return Ok(Compared::Skipped);
        }
    }
    let old = simulate(&Engine::new(old), &scenario)?;
    let new = simulate(&Engine::new(new), &scenario)?;
    Ok(Compared::Diff(compare(&old, &new), new.tz))
}

/// What a row is about, for sentences: `handle deadline`, `verify breach`, `opened`.
fn subject(row: &TimelineRow) -> String {
    match &row.stage {
        Some(s) => format!("{} {}", safe(s), row.kind),
        None => row.kind.to_string(),
    }
}

/// One scenario's changes, one line each, in time order.
pub fn render(diff: &TimelineDiff, tz: Tz, paint: Paint) -> String {
    let h = |t| timefmt::human(tz, t);
    let mut out = String::new();
    for c in &diff.changes {
        let line = match c {
            RowChange::Moved { old, new, from, to } => {
                let prov = match (old.provisional, new.provisional) {
                    (false, true) => " (now provisional)",
                    (true, false) => " (no longer provisional)",
                    _ => "",
                };
                paint.paint(
                    "33",
                    &format!("  ~ {} moves from {} to {}{prov}", subject(old), h(*from), h(*to)),
                )
            }
            RowChange::Changed { old, new } => {
                let mut parts = Vec::new();
                // A deadline that stays put while its clock starts at another instant.
                if old.at != new.at {
                    parts.push(format!("from {} instead of {}", h(new.at), h(old.at)));
                }
                if old.tier != new.tier {
                    parts.push(format!(
                        "tier {} → {}",
                        safe(old.tier.as_deref().unwrap_or("-")),
                        safe(new.tier.as_deref().unwrap_or("-"))
                    ));
                }
                if old.detail != new.detail {
                    parts.push(format!("\"{}\" → \"{}\"", safe(&old.detail), safe(&new.detail)));
                }
                paint.paint(
                    "33",
                    &format!("  ~ {} at {} changes: {}", subject(old), h(new.at), parts.join("; ")),
                )
            }
            RowChange::Added(r) => paint
                .paint("32", &format!("  + {} at {}: {}", subject(r), h(r.at), safe(&r.detail))),
            RowChange::Removed(r) => paint
                .paint("31", &format!("  - {} at {}: {}", subject(r), h(r.at), safe(&r.detail))),
        };
        out.push_str(&line);
        out.push('\n');
    }
    if diff.final_stage.0 != diff.final_stage.1 {
        out.push_str(&format!(
            "  final stage {} → {}\n",
            safe(&diff.final_stage.0),
            safe(&diff.final_stage.1)
        ));
    }
    if diff.breaches.0 != diff.breaches.1 {
        out.push_str(&format!("  breaches {} → {}\n", diff.breaches.0, diff.breaches.1));
    }
    out
}
