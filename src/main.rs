//! `ombud`: lint, graph, simulate and test complaint-handling policies.
//!
//! One file per subcommand; this file only parses arguments and dispatches.

mod calendar;
mod graph;
mod lint;
mod render;
mod schema;

use clap::{Parser, Subcommand};
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
    /// Print the JSON Schema of the policy language.
    Schema(schema::Args),
    /// Inspect a working-day calendar and compute deadlines on it.
    Calendar(calendar::Args),
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
    }
}
