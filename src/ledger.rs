//! `ombud ledger` (not yet implemented).

use std::process::ExitCode;

/// Arguments of `ombud ledger`.
#[derive(clap::Args)]
pub struct Args {}

/// Runs `ombud ledger`.
pub fn run(_args: Args) -> ExitCode {
    eprintln!("ombud ledger: not implemented yet");
    ExitCode::from(2)
}
