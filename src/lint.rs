//! `ombud lint` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud lint`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud lint`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud lint: not implemented yet");
    ExitCode::from(2)
}
