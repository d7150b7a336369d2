//! `ombud diff` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud diff`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud diff`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud diff: not implemented yet");
    ExitCode::from(2)
}
