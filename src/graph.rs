//! `ombud graph` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud graph`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud graph`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud graph: not implemented yet");
    ExitCode::from(2)
}
