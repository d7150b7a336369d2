//! `ombud report` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud report`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud report`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud report: not implemented yet");
    ExitCode::from(2)
}
