//! `ombud lint`: check policy files and report every mistake with file, line, column and a hint.
//!
//! Exit status: 0 when there are no errors (warnings allowed), 1 when any file has an error,
//! 2 for usage or I/O errors (a path that does not exist). A directory is searched recursively
//! for `*.yaml` / `*.yml` files that have a top-level `policy:` key; other YAML files in it
//! (scenarios, calendars) are skipped. The walk does not follow a symlink loop, and a file
//! reached twice is linted once. A file is read up to 1 MiB: a larger one, or a device such
//! as `/dev/zero`, is diagnostic E0101. Files named on the command line are always linted; a
//! named file that is a calendar (top-level `covers`, `holidays` or `extends`, no `policy`) is
//! checked as a calendar file and reports its E05xx diagnostics the same way.
//!
//! A policy whose calendar data ends within 60 days of today (or has ended) gets warning W0201.
//! Today is the system date in the policy's calendar zone, or the hidden `--today YYYY-MM-DD`
//! flag, or the `OMBUD_TODAY=YYYY-MM-DD` environment variable (for tests and reproducible CI).

use crate::input::Walk;
use crate::render::{emit, render_json, render_text, safe, summary, use_colour};
use chrono::{NaiveDate, Utc};
use ombud_engine::calendar::parse_date;
use ombud_engine::check::{calendar_coverage, sort_diagnostics};
use ombud_engine::policy::read_policy_file;
use ombud_engine::{Calendar, Diagnostic, DiagnosticCode};
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
    /// Policy or calendar files, or directories to search for policy files.
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
    let mut files = Vec::new();
    let mut walk = Walk::default();
    for path in &args.paths {
        if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = walk.yaml_files(path, &mut found) {
                errln!("error: cannot read directory `{}`: {e}", safe(&path.display().to_string()));
                return ExitCode::from(2);
            }
            found.retain(|p| is_policy(p));
            found.sort();
            files.extend(found);
        } else if path.exists() {
            // A file, or anything else that can be read (a device, a pipe).
            if walk.first_time(path) {
                files.push(path.clone());
            }
        } else {
            errln!("error: `{}` does not exist", safe(&path.display().to_string()));
            return ExitCode::from(2);
        }
    }
    let mut all: Vec<Diagnostic> = Vec::new();
    for file in &files {
        let mut diags = match read_policy_file(file) {
            Err(err) if err.diagnostics().iter().any(|d| d.code == DiagnosticCode::E0100) => {
                for d in &err {
                    errln!("error: {}", safe(&d.message));
                }
                return ExitCode::from(2);
            }
            Err(err) => err.into_diagnostics(),
            Ok(text) if Calendar::is_calendar_text(&text) => lint_calendar(file, &text),
            Ok(text) => {
                match ombud_engine::load_policy(&file.display().to_string(), &text, file.parent()) {
                    Ok((policy, mut warnings)) => {
                        let today = today.unwrap_or_else(|| {
                            Utc::now().with_timezone(&policy.calendar().tz()).date_naive()
                        });
                        warnings.extend(calendar_coverage(&policy, today));
                        warnings
                    }
                    Err(err) => err.into_diagnostics(),
                }
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

/// A YAML file found in a directory is a policy when a line starts with the top-level key
/// `policy:`. A file that is not a YAML text Ombud reads (over 1 MiB, not UTF-8) is linted too,
/// so that it is reported rather than skipped.
fn is_policy(path: &Path) -> bool {
    match read_policy_file(path) {
        Ok(text) => text.lines().any(|l| l.starts_with("policy:")),
        // Not a YAML text Ombud reads (E0101), or not readable at all (E0100).
        Err(err) => err.diagnostics().iter().all(|d| d.code != DiagnosticCode::E0100),
    }
}
