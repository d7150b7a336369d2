//! `ombud graph`: draw a policy's stage graph as Mermaid (`flowchart TD`, renders on GitHub) or
//! Graphviz DOT. Stages show their owner and time limit; transitions their event and guard;
//! automatic transitions are dashed; terminal stages are drawn round.

use crate::render::{emit, render_text, summary, use_colour};
use ombud_engine::CompiledPolicy;
use ombud_engine::compile::{Conditional, EdgeLabel};
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
    let policy = match crate::input::load_policy(&args.policy) {
        Ok((p, _)) => p,
        Err(diags) if diags.iter().any(|d| d.code == "E0100") => {
            for d in &diags {
                errln!("error: {}", crate::render::safe(&d.message));
            }
            return ExitCode::from(2);
        }
        Err(diags) => {
            let colour = use_colour();
            for d in &diags {
                errln!("{}", render_text(d, colour));
            }
            errln!("{}", summary(&diags, 1));
            return ExitCode::from(1);
        }
    };
    let out = match args.format {
        Format::Mermaid => mermaid(&policy),
        Format::Dot => dot(&policy),
    };
    emit(&out);
    ExitCode::SUCCESS
}

fn choice<T>(list: &[Conditional<T>], show: impl Fn(&T) -> String) -> Option<String> {
    if list.is_empty() {
        return None;
    }
    let parts: Vec<String> = list
        .iter()
        .map(|c| match &c.when {
            Some(w) => format!("{} if {}", show(&c.value), w.source()),
            None if list.len() > 1 => format!("else {}", show(&c.value)),
            None => show(&c.value),
        })
        .collect();
    Some(parts.join("; "))
}

/// The lines describing a stage: name, owner, time limit, required artifacts.
fn stage_lines(p: &CompiledPolicy, i: usize) -> Vec<String> {
    let Some(s) = p.stages.get(i) else { return Vec::new() };
    let mut lines = vec![s.name.clone()];
    let tier = |t: &usize| p.tiers.get(*t).cloned().unwrap_or_default();
    if let Some(o) = choice(&s.owner, tier) {
        lines.push(format!("owner: {o}"));
    }
    if let Some(d) = choice(&s.due, |d| d.to_string()) {
        lines.push(format!("due: {d}"));
    }
    if !s.requires.is_empty() {
        lines.push(format!("requires: {}", s.requires.join(", ")));
    }
    if s.terminal {
        lines.push("(terminal)".to_string());
    }
    lines
}

fn edge_text(label: &EdgeLabel) -> (String, bool) {
    match label {
        EdgeLabel::Event { event, guard: Some(g) } => (format!("{event} [{g}]"), false),
        EdgeLabel::Event { event, guard: None } => (event.clone(), false),
        EdgeLabel::Auto { condition } => (format!("auto [{condition}]"), true),
    }
}

/// Escapes text for a quoted Mermaid label (entity codes, as GitHub's renderer expects).
fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn mermaid(p: &CompiledPolicy) -> String {
    let mut out = String::from("flowchart TD\n");
    out.push_str("    start((start))\n");
    for i in 0..p.stages.len() {
        let label =
            stage_lines(p, i).iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>");
        let terminal = p.stages.get(i).is_some_and(|s| s.terminal);
        if terminal {
            out.push_str(&format!("    s{i}([\"{label}\"])\n"));
        } else {
            out.push_str(&format!("    s{i}[\"{label}\"]\n"));
        }
    }
    out.push_str(&format!("    start --> s{}\n", p.start));
    for e in p.graph.raw_edges() {
        let (text, auto) = edge_text(&e.weight);
        let arrow = if auto { "-.->" } else { "-->" };
        out.push_str(&format!(
            "    s{} {arrow}|\"{}\"| s{}\n",
            e.source().index(),
            mermaid_escape(&text),
            e.target().index()
        ));
    }
    for (i, s) in p.stages.iter().enumerate() {
        if s.terminal {
            out.push_str(&format!("    class s{i} terminal\n"));
        }
    }
    out.push_str("    classDef terminal fill:#e8f5e9,stroke:#2e7d32\n");
    out
}

/// Escapes text for a double-quoted DOT string.
fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn dot(p: &CompiledPolicy) -> String {
    let mut out = format!("digraph \"{}\" {{\n", dot_escape(&p.id));
    out.push_str(
        "    rankdir=TB;\n    node [shape=box, style=rounded, fontname=\"sans-serif\"];\n",
    );
    out.push_str("    edge [fontname=\"sans-serif\", fontsize=10];\n");
    out.push_str("    start [shape=circle, label=\"start\"];\n");
    for i in 0..p.stages.len() {
        let label = stage_lines(p, i).iter().map(|l| dot_escape(l)).collect::<Vec<_>>().join("\\n");
        let terminal = p.stages.get(i).is_some_and(|s| s.terminal);
        let shape = if terminal { ", shape=doubleoctagon" } else { "" };
        out.push_str(&format!("    s{i} [label=\"{label}\"{shape}];\n"));
    }
    out.push_str(&format!("    start -> s{};\n", p.start));
    for e in p.graph.raw_edges() {
        let (text, auto) = edge_text(&e.weight);
        let style = if auto { ", style=dashed" } else { "" };
        out.push_str(&format!(
            "    s{} -> s{} [label=\"{}\"{style}];\n",
            e.source().index(),
            e.target().index(),
            dot_escape(&text)
        ));
    }
    out.push_str("}\n");
    out
}
