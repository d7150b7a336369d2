//! `ombud`: lint, graph, simulate and test complaint-handling policies; run them as a service.
//!
//! One file per subcommand; this file only parses arguments and dispatches. Output goes through
//! `out` (a closed pipe ends any command quietly), user text through `render::safe`.

#![deny(clippy::print_stdout, clippy::print_stderr)]

#[macro_use]
mod out;

mod audit;
mod calendar;
mod diff;
mod explain;
mod graph;
mod input;
mod ledger;
mod lint;
mod recalendar;
mod render;
mod replay;
mod report;
mod scenario_files;
mod schema;
mod serve;
mod simulate;
mod test_cmd;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// Ombud: a workflow-rules engine for complaint handling.
#[derive(Parser)]
#[command(name = "ombud", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check policy files and report every mistake with file, line, column and a hint.
    Lint(lint::Args),
    /// Draw a policy's stage graph as Mermaid or Graphviz DOT.
    Graph(graph::Args),
    /// Print the JSON Schema of the policy language (or, with `--scenario`, of scenario files).
    Schema(schema::Args),
    /// Inspect a working-day calendar and compute deadlines on it.
    Calendar(calendar::Args),
    /// Run a scenario through the engine and show its timeline.
    Simulate(simulate::Args),
    /// Explain how one clock of a scenario's ticket reached its deadline.
    Explain(explain::Args),
    /// Check scenarios' `expect:` blocks.
    Test(test_cmd::Args),
    /// Show how timelines change between two versions of a policy.
    Diff(diff::Args),
    /// Work with ledgers of complaint events (generate synthetic ones).
    Ledger(ledger::Args),
    /// Replay a ledger under a policy (and compare with another).
    Replay(replay::Args),
    /// Preview a calendar update on a ledger's open tickets: provisional deadlines confirmed or
    /// moved.
    Recalendar(recalendar::Args),
    /// Report on a ledger: type distribution, on-time rates, handling times, callback sample.
    Report(report::Args),
    /// Verify the tamper-evident audit chain of a ticket or a ledger.
    Audit(audit::Args),
    /// Run the complaint desk as a service: HTTP API, durable timers, webhooks.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Lint(args) => lint::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Calendar(args) => calendar::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Test(args) => test_cmd::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Ledger(args) => ledger::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Recalendar(args) => recalendar::run(args),
        Command::Report(args) => report::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Serve(args) => serve::run(args),
    }
}
