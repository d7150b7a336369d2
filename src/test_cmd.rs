//! `ombud test` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud test`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud test`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud test: not implemented yet");
    ExitCode::from(2)
}
