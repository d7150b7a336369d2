//! `ombud schema` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud schema`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud schema`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud schema: not implemented yet");
    ExitCode::from(2)
}
