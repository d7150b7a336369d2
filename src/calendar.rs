//! `ombud calendar` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud calendar`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud calendar`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud calendar: not implemented yet");
    ExitCode::from(2)
}
