//! `ombud lint`: check policy, scenario and calendar files and report every mistake with file,
//! line, column and a hint.
//!
//! Exit status: 0 when there are no errors (warnings allowed), 1 when any file has an error,
//! 2 for usage or I/O errors (a path that does not exist). Each file is checked as what its
//! top-level keys say it is ([`Kind`]): a policy as a policy, a calendar file (`covers`,
//! `holidays` or `extends`, no `policy`) for its E05xx diagnostics, a scenario as a scenario and
//! against the policy it names (E06xx). A directory is searched recursively for `*.yaml` /
//! `*.yml` files, respecting `.gitignore` and `.ombudignore`; YAML that is none of the three is
//! skipped there, and checked as a policy when named on the command line. The walk does not
//! follow a symlink loop, and a file reached twice is linted once. A file is read up to 1 MiB:
//! a larger one, or a device such as `/dev/zero`, is diagnostic E0101.
//!
//! A policy whose calendar data ends within 60 days of today (or has ended) gets warning W0201.
//! Today is the system date in the policy's calendar zone, or the hidden `--today YYYY-MM-DD`
//! flag, or the `OMBUD_TODAY=YYYY-MM-DD` environment variable (for tests and reproducible CI).

use crate::input::{Kind, Walk};
use crate::render::{emit, render_json, render_text, safe, summary, use_colour};
use crate::scenario_files::{self, Policies, Problem};
use chrono::{NaiveDate, Utc};
use ombud_engine::calendar::parse_date;
use ombud_engine::check::{calendar_coverage, sort_diagnostics};
use ombud_engine::policy::read_policy_file;
use ombud_engine::{Calendar, Diagnostic, DiagnosticCode, Engine, simulate};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format of `ombud lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style text with source lines and carets.
    Text,
    /// `{"diagnostics":[{"severity","code","message","file","line","column","hint"}]}`.
    Json,
}

/// Arguments of `ombud lint`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Policy, scenario or calendar files, or directories to search for them.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// The date the calendar-coverage warning counts from, instead of the system date
    /// (also `OMBUD_TODAY=YYYY-MM-DD`).
    #[arg(long, hide = true, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
}

/// The environment variable that fixes "today" for the calendar-coverage warning.
const TODAY_VAR: &str = "OMBUD_TODAY";

/// "Today" as given by `--today` or `OMBUD_TODAY`; `Ok(None)` when neither is set (use the
/// clock), `Err` with a message when the value is not a date.
fn fixed_today(flag: Option<&str>) -> Result<Option<NaiveDate>, String> {
    let (given, what) = match (flag, std::env::var(TODAY_VAR).ok()) {
        (Some(f), _) => (f.to_string(), "--today"),
        (None, Some(v)) if !v.trim().is_empty() => (v, TODAY_VAR),
        _ => return Ok(None),
    };
    match parse_date(&given) {
        Some(d) => Ok(Some(d)),
        None => Err(format!("error: `{what}` is `{given}`, not a date (write `YYYY-MM-DD`)")),
    }
}

/// Runs `ombud lint`.
pub fn run(args: Args) -> ExitCode {
    let today = match fixed_today(args.today.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            errln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut files: Vec<(PathBuf, Kind)> = Vec::new();
    let mut walk = Walk::default();
    for path in &args.paths {
        if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk.yaml_files(path, &mut found) {
                errln!("error: cannot read directory `{}`: {e}", safe(&path.display().to_string()));
                return ExitCode::from(2);
            }
            files.extend(
                found
                    .into_iter()
                    .map(|p| (Kind::of(&p), p))
                    .filter(|(k, _)| *k != Kind::Other)
                    .map(|(k, p)| (p, k)),
            );
        } else if path.exists() {
            // A file, or anything else that can be read (a device, a pipe).
            if walk.first_time(path) {
                files.push((path.clone(), Kind::of(path)));
            }
        } else {
            errln!("error: `{}` does not exist", safe(&path.display().to_string()));
            return ExitCode::from(2);
        }
    }
    // Policies linted in this run: a scenario's policy with errors is reported once, as itself.
    let linted: Vec<PathBuf> = files
        .iter()
        .filter(|(_, k)| *k != Kind::Scenario)
        .filter_map(|(p, _)| p.canonicalize().ok())
        .collect();
    let mut policies = Policies::default();
    let mut all: Vec<Diagnostic> = Vec::new();
    for (file, kind) in &files {
        let mut diags = if *kind == Kind::Scenario {
            match lint_scenario(file, &mut policies, &linted) {
                Ok(d) => d,
                Err(message) => {
                    errln!("error: {}", safe(&message));
                    return ExitCode::from(2);
                }
            }
        } else {
            match read_policy_file(file) {
                Err(err) if err.diagnostics().iter().any(|d| d.code == DiagnosticCode::E0100) => {
                    for d in &err {
                        errln!("error: {}", safe(&d.message));
                    }
                    return ExitCode::from(2);
                }
                Err(err) => err.into_diagnostics(),
                Ok(text) if *kind == Kind::Calendar => lint_calendar(file, &text),
                Ok(text) => lint_policy(file, &text, today),
            }
        };
        sort_diagnostics(&mut diags);
        all.extend(diags);
    }
    match args.format {
        Format::Json => emit(&format!("{}\n", render_json(&all))),
        Format::Text => {
            let colour = use_colour();
            let mut out = String::new();
            for d in &all {
                out.push_str(&render_text(d, colour));
                out.push('\n');
            }
            out.push_str(&summary(&all, files.len()));
            out.push('\n');
            emit(&out);
        }
    }
    if all.iter().any(Diagnostic::is_error) { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The diagnostics of a calendar file (`extends` paths relative to the file).
fn lint_calendar(path: &Path, text: &str) -> Vec<Diagnostic> {
    Calendar::from_yaml(&path.display().to_string(), text, path.parent()).err().unwrap_or_default()
}

/// The diagnostics of a policy file (and the calendar-coverage warning as of `today`).
fn lint_policy(file: &Path, text: &str, today: Option<NaiveDate>) -> Vec<Diagnostic> {
    match ombud_engine::load_policy(&file.display().to_string(), text, file.parent()) {
        Ok((policy, mut warnings)) => {
            let today = today
                .unwrap_or_else(|| Utc::now().with_timezone(&policy.calendar().tz()).date_naive());
            warnings.extend(calendar_coverage(&policy, today));
            warnings
        }
        Err(err) => err.into_diagnostics(),
    }
}

/// The diagnostics of a scenario file: its own (E06xx), then its mistakes against the policy
/// it names, and what running it would refuse (the opening, an `until` before the last event).
/// A policy with errors adds its diagnostics unless it is linted in this run itself (`linted`,
/// canonical paths). `Err` is a file that cannot be read.
fn lint_scenario(
    file: &Path,
    policies: &mut Policies,
    linted: &[PathBuf],
) -> Result<Vec<Diagnostic>, String> {
    let mut run = || -> Result<Vec<Diagnostic>, Problem> {
        let scenario = scenario_files::read_scenario_for(file, None, policies)?;
        let path = scenario_files::policy_path(&scenario, file, None)?;
        let policy = match policies.load(&path) {
            Ok(p) => p,
            Err(Problem::Diagnostics(_))
                if path.canonicalize().is_ok_and(|p| linted.contains(&p)) =>
            {
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let engine = Engine::new(policy);
        let mut found = scenario.check_against(&engine);
        if found.is_empty()
            && let Err(d) = simulate(&engine, &scenario)
        {
            found.push(*d);
        }
        Ok(found)
    };
    match run() {
        Ok(d) | Err(Problem::Diagnostics(d)) => Ok(d),
        Err(Problem::Io(message)) => Err(message),
    }
}
