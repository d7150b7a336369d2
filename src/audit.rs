//! `ombud audit` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud audit`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud audit`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud audit: not implemented yet");
    ExitCode::from(2)
}
