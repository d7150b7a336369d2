//! `ombud explain`: how one clock of a scenario's ticket reached its deadline, at the end of the
//! scenario.

use crate::render::safe;
use crate::scenario_files::{self, Problem};
use crate::simulate::{Format, run_scenario};
use ombud_engine::timefmt;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `ombud explain`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Run under this policy instead of the scenario's `policy:`.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The scenario file.
    #[arg(value_name = "SCENARIO")]
    scenario: PathBuf,
    /// The clock: a stage (its last visit with a time limit) or an obligation.
    #[arg(value_name = "CLOCK")]
    clock: String,
}

/// Runs `ombud explain`: exit 0 with the explanation, 1 when the scenario or its policy has
/// errors or the ticket never had that clock, 2 when a file cannot be read.
pub fn run(args: Args) -> ExitCode {
    let (tl, why) = match run_scenario(&args.scenario, args.policy.as_deref(), true) {
        Ok((tl, why, _)) => (tl, why.unwrap_or_default()),
        Err(Problem::Diagnostics(diags)) if args.format == Format::Json => {
            crate::render::emit(&format!("{}\n", crate::render::render_json(&diags)));
            return ExitCode::from(1);
        }
        Err(p) => {
            return if scenario_files::report(&p) { ExitCode::from(2) } else { ExitCode::from(1) };
        }
    };
    let Some(clock) = why.of(&args.clock) else {
        let mut names = tl.clock_names();
        names.retain(|n| why.of(n).is_some());
        let known = names.iter().map(|n| format!("`{}`", safe(n))).collect::<Vec<_>>();
        errln!(
            "error: the ticket has no clock `{}`; clocks: {}",
            safe(&args.clock),
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
        );
        return ExitCode::from(1);
    };
    match args.format {
        Format::Json => {
            let text = serde_json::to_string_pretty(clock).unwrap_or_default();
            crate::render::emit(&format!("{text}\n"));
        }
        Format::Text => {
            let mut text: String =
                clock.to_string().lines().map(|l| format!("{}\n", safe(l))).collect();
            // A clock the ticket no longer has is shown as it stood after its last row.
            let last = why.last_row_of(&args.clock).filter(|_| !why.is_live(&args.clock));
            if let Some((row, _)) = last
                && let Some(r) = tl.rows.get(row)
            {
                text.push_str(&format!(
                    "  (as it stood at {}; the ticket has left it since)\n",
                    timefmt::human(tl.tz, r.at)
                ));
            }
            crate::render::emit(&text);
        }
    }
    ExitCode::SUCCESS
}
