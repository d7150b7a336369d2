//! `--calendar FILE` of the ledger readers (`replay`, `report`, `ledger tickets`, `audit verify
//! --policy`, `recalendar`): the calendar updates a ledger's `calendar` lines may name, each with
//! the policies read loaded on it.

use crate::render::{self, safe};
use ombud_engine::Engine;
use ombud_engine::ledger::CalendarUpdates;
use ombud_engine::policy::{load_policy_on_calendar, read_policy_file};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

/// `--calendar FILE` (repeatable).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct CalendarArgs {
    /// A calendar update the ledger's `calendar` lines may name: a calendar file that `extends`
    /// the calendar the policy names (as `POST /v1/calendars` takes), standing in for it from
    /// the line on. Repeat for each update the ledger names.
    #[arg(long = "calendar", value_name = "FILE")]
    pub calendars: Vec<String>,
}

/// The calendar updates of `files`: each calendar (a file, or a bundled id) with every policy of
/// `policies` loaded on it, made ready by `prepare` as the reader's own engines are. On failure
/// the diagnostics are printed and the exit code returned: 1 when a calendar, or a policy on it,
/// has errors; 2 when a policy file cannot be read.
pub fn load(
    files: &[String],
    policies: &[&Path],
    prepare: impl Fn(Engine) -> Engine,
) -> Result<CalendarUpdates, ExitCode> {
    let mut updates = CalendarUpdates::default();
    if files.is_empty() {
        return Ok(updates);
    }
    let texts = policies
        .iter()
        .map(|path| read_policy_file(path).map_err(|e| fail(e.diagnostics(), 2)))
        .collect::<Result<Vec<_>, _>>()?;
    for file in files {
        let calendar =
            crate::input::load_calendar(file).map_err(|diagnostics| fail(&diagnostics, 1))?;
        let engines = policies
            .iter()
            .zip(&texts)
            .map(|(path, text)| on_calendar(path, text, Arc::clone(&calendar)).map(&prepare))
            .collect::<Result<Vec<_>, _>>()?;
        updates.insert(engines);
    }
    Ok(updates)
}

/// The policy at `path` (its text `text`) loaded on `calendar`; its diagnostics printed and exit
/// code 1 when it has errors on it.
pub fn on_calendar(
    path: &Path,
    text: &str,
    calendar: Arc<ombud_engine::Calendar>,
) -> Result<Engine, ExitCode> {
    let name = path.display().to_string();
    match load_policy_on_calendar(&name, text, path.parent(), calendar) {
        Ok((policy, _)) => Ok(Engine::new(Arc::new(policy))),
        Err(e) => Err(fail(e.diagnostics(), 1)),
    }
}

/// Prints `diagnostics`; `code` to exit with.
pub fn fail(diagnostics: &[ombud_engine::Diagnostic], code: u8) -> ExitCode {
    for d in diagnostics {
        errln!("{}", safe(render::render_text(d, false).trim_end()));
    }
    ExitCode::from(code)
}
