//! `ombud schema`: print the JSON Schema of the policy language (the same text as
//! `policies/schema.json`).

use std::process::ExitCode;

/// Arguments of `ombud schema`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud schema`.
pub fn run(_args: Args) -> ExitCode {
    crate::render::emit(&ombud_engine::policy::json_schema_text());
    ExitCode::SUCCESS
}
