//! `ombud lint`: check policy files and report every mistake with file, line, column and a hint.
//!
//! Exit status: 0 when there are no errors (warnings allowed), 1 when any file has an error,
//! 2 for usage or I/O errors (a path that does not exist). A directory is searched recursively
//! for `*.yaml` / `*.yml` files that have a top-level `policy:` key; other YAML files in it
//! (scenarios, calendars) are skipped. Files named on the command line are always linted.

use crate::render::{emit, render_json, render_text, summary, use_colour};
use ombud_engine::check::{Diagnostic, sort_diagnostics};
use ombud_engine::load_policy_file;
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
    /// Policy files, or directories to search for policy files.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
}

/// Runs `ombud lint`.
pub fn run(args: Args) -> ExitCode {
    let mut files = Vec::new();
    for path in &args.paths {
        if path.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = find_policies(path, &mut found) {
                eprintln!("error: cannot read directory `{}`: {e}", path.display());
                return ExitCode::from(2);
            }
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            eprintln!("error: `{}` does not exist", path.display());
            return ExitCode::from(2);
        }
    }
    let mut all: Vec<Diagnostic> = Vec::new();
    for file in &files {
        let mut diags = match load_policy_file(file) {
            Ok((_, warnings)) => warnings,
            Err(diags) => diags,
        };
        if diags.iter().any(|d| d.code == "E0100") {
            for d in &diags {
                eprintln!("error: {}", d.message);
            }
            return ExitCode::from(2);
        }
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

fn find_policies(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_policies(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") && is_policy(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// A YAML file is a policy when a line starts with the top-level key `policy:`.
fn is_policy(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        String::from_utf8_lossy(&bytes).lines().any(|l| l.starts_with("policy:"))
    })
}
