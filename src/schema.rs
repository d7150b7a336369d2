//! `ombud schema`: print the JSON Schema of policy files (the same text as
//! `policies/schema.json`) or, with `--scenario`, of scenario files
//! (`policies/scenario.schema.json`), or, with `--calendar`, of calendar files
//! (`holidays/calendar.schema.json`).

use std::process::ExitCode;

/// Arguments of `ombud schema`.
#[derive(clap::Args)]
#[command(after_help = "Editors that read YAML with yaml-language-server take the schema from a \
comment on a file's first line, relative to the file:\n  \
# yaml-language-server: $schema=schema.json                        (a policy in policies/)\n  \
# yaml-language-server: $schema=../../policies/scenario.schema.json (a scenario in examples/scenarios/)\n  \
# yaml-language-server: $schema=calendar.schema.json               (a calendar in holidays/)\n\
The schemas check a file's shape (keys, types, durations, instants, dates, hours); `ombud lint` \
also checks what needs the rest of the file, the scenario's policy or the extended calendar.")]
pub struct Args {
    /// Print the schema of scenario files (`ombud simulate`/`test`) instead of policies.
    #[arg(long, conflicts_with = "calendar")]
    scenario: bool,
    /// Print the schema of calendar files (holidays/*.yaml, a year or an organisation's file).
    #[arg(long)]
    calendar: bool,
}

/// Runs `ombud schema`.
pub fn run(args: Args) -> ExitCode {
    let text = if args.scenario {
        ombud_engine::simulate::scenario_json_schema_text()
    } else if args.calendar {
        ombud_engine::calendar::calendar_json_schema_text()
    } else {
        ombud_engine::policy::json_schema_text()
    };
    crate::render::emit(&text);
    ExitCode::SUCCESS
}
