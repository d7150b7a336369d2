//! `ombud-load`: the load and fault run of `ombud serve` (see `docs/server.md`, "Performance
//! and faults"). Starts real `ombud serve` processes on 127.0.0.1, sends the load, kills one
//! instance mid-run, checks everything afterwards and prints what it measured and found.
//!
//! Exit status: 0 when every check passed, 1 when a check failed, 2 when the run could not run.

use clap::Parser;
use ombud_server::load::{Options, run};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Load and fault run of `ombud serve` on 127.0.0.1.
#[derive(Parser)]
#[command(name = "ombud-load", version)]
struct Args {
    /// The `ombud` binary (default: the one beside this program).
    #[arg(long)]
    ombud: Option<PathBuf>,
    /// Run on PostgreSQL: a server on this machine, where the run creates (and then drops) a
    /// database of its own. Without it, a SQLite file.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// Server instances (more than one needs PostgreSQL).
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// Tickets to open.
    #[arg(long, default_value_t = 3000)]
    tickets: usize,
    /// Events to have accepted (refused events and repeats come on top).
    #[arg(long, default_value_t = 30_000)]
    events: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Deadlines fall up to this many seconds after their ticket's opening (at most 100).
    #[arg(long, default_value_t = 20)]
    spread: u64,
    /// Do not kill an instance (a pure load run).
    #[arg(long)]
    no_kill: bool,
    /// The share of the events answered when instance 0 is killed.
    #[arg(long, default_value_t = 0.4)]
    kill_after: f64,
    /// The share of webhook deliveries whose first attempt the sink refuses.
    #[arg(long, default_value_t = 0.02)]
    sink_failures: f64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 900)]
    time_limit: u64,
    /// Seed of the tickets' scripts.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Keep the run's files (database, exports, server logs) in this directory.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let ombud = args.ombud.unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("ombud")))
            .unwrap_or_else(|| PathBuf::from("ombud"))
    });
    let options = Options {
        ombud,
        postgres: args.postgres,
        instances: args.instances,
        tickets: args.tickets,
        events: args.events,
        clients: args.clients,
        spread: Duration::from_secs(args.spread),
        kill: !args.no_kill,
        kill_after: args.kill_after,
        sink_failures: args.sink_failures,
        time_limit: Duration::from_secs(args.time_limit),
        seed: args.seed,
        keep: args.keep,
        progress: true,
    };
    match run(&options) {
        Ok(report) => {
            print!("{report}");
            if report.passed() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
