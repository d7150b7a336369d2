//! `ombud replay` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud replay`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud replay`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud replay: not implemented yet");
    ExitCode::from(2)
}
