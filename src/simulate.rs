//! `ombud simulate` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud simulate`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud simulate`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud simulate: not implemented yet");
    ExitCode::from(2)
}
