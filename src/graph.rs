//! `ombud graph`: draw a policy's stage graph as Mermaid (`flowchart TD`, renders on GitHub) or
//! Graphviz DOT. Stages show their owner and time limit; transitions their event and guard;
//! automatic transitions are dashed; terminal stages are drawn round.

use crate::render::{emit, render_text, summary, use_colour};
use ombud_engine::DiagnosticCode;
use ombud_engine::policy::StageGraph;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output format of `ombud graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Mermaid `flowchart TD`.
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

/// Arguments of `ombud graph`.
#[derive(clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: Format,
    /// The policy file.
    #[arg(value_name = "POLICY")]
    pub policy: PathBuf,
}

/// Runs `ombud graph`.
pub fn run(args: Args) -> ExitCode {
    let policy = match ombud_engine::load_policy_file(&args.policy) {
        Ok((p, _)) => p,
        Err(err) if err.diagnostics().iter().any(|d| d.code == DiagnosticCode::E0100) => {
            for d in &err {
                errln!("error: {}", crate::render::safe(&d.message));
            }
            return ExitCode::from(2);
        }
        Err(err) => {
            let diags = err.into_diagnostics();
            let colour = use_colour();
            for d in &diags {
                errln!("{}", render_text(d, colour));
            }
            errln!("{}", summary(&diags, 1));
            return ExitCode::from(1);
        }
    };
    let graph = StageGraph::of(&policy);
    let out = match args.format {
        Format::Mermaid => graph.mermaid(),
        Format::Dot => graph.dot(policy.id()),
    };
    emit(&out);
    ExitCode::SUCCESS
}
