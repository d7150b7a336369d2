//! A policy's stage graph as a drawing describes it: each stage with its owner, time limit and
//! required artifacts, each transition with its event and guard (or its condition, for automatic
//! ones), and the same as Mermaid (`flowchart TD`) or Graphviz DOT text. `ombud graph` prints
//! the text; the server's board draws the graph from the same description.

use super::{CompiledPolicy, Conditional, EdgeLabel, TierId};
use std::fmt::Write as _;

/// A policy's stages and transitions, described for drawing.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// use ombud_engine::policy::StageGraph;
/// let graph = StageGraph::of(&policy);
/// let start = &graph.stages[graph.start];
/// assert_eq!(start.name, policy.stage(policy.start()).name);
/// assert!(graph.mermaid().starts_with("flowchart TD\n"));
/// assert!(graph.dot(policy.id()).contains("start -> s"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageGraph {
    /// The index of the start stage in `stages`.
    pub start: usize,
    /// The stages, in the policy's order.
    pub stages: Vec<StageBox>,
    /// The transitions, in the policy's order.
    pub transitions: Vec<TransitionArrow>,
    /// The obligations, in the policy's order: clocks beside the stages, drawn apart from them.
    pub obligations: Vec<StageBox>,
}

/// A stage as a drawing shows it.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let graph = ombud_engine::policy::StageGraph::of(&policy);
/// let feedback = graph.stages.iter().find(|s| s.name == "feedback").unwrap();
/// assert!(feedback.requires.contains(&"result_notice".to_string()));
/// assert!(!feedback.terminal);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageBox {
    /// Stage name.
    pub name: String,
    /// The owner tier (`a if cond; else b` when it depends on the ticket).
    pub owner: Option<String>,
    /// The time limit, written the same way.
    pub due: Option<String>,
    /// Artifacts required before leaving.
    pub requires: Vec<String>,
    /// Whether the ticket closes here.
    pub terminal: bool,
    /// Its extensions: `event: by 15 working days`, with `max`, `requires` and `when`.
    pub extensions: Vec<String>,
    /// For an obligation: when it starts, the event that discharges it, its ladder.
    pub notes: Vec<String>,
}

impl StageBox {
    /// The lines a drawing writes in the stage's box: name, `owner: …`, `due: …`,
    /// `requires: …`, one `extension: …` per extension, the notes, `(terminal)`.
    ///
    /// ```
    /// use ombud_engine::policy::StageBox;
    /// let s = StageBox { name: "handle".into(), owner: Some("frontline".into()),
    ///     due: Some("3 working days".into()), requires: vec![], terminal: false,
    ///     extensions: vec!["extension_approved: by 3 working days".into()], notes: vec![] };
    /// assert_eq!(s.lines(), ["handle", "owner: frontline", "due: 3 working days",
    ///     "extension: extension_approved: by 3 working days"]);
    /// ```
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.name.clone()];
        if let Some(o) = &self.owner {
            lines.push(format!("owner: {o}"));
        }
        if let Some(d) = &self.due {
            lines.push(format!("due: {d}"));
        }
        if !self.requires.is_empty() {
            lines.push(format!("requires: {}", self.requires.join(", ")));
        }
        for e in &self.extensions {
            lines.push(format!("extension: {e}"));
        }
        lines.extend(self.notes.iter().cloned());
        if self.terminal {
            lines.push("(terminal)".to_string());
        }
        lines
    }
}

/// A transition as a drawing shows it.
///
/// ```
/// # let policy = ombud_engine::doc_support::reference_policy();
/// let graph = ombud_engine::policy::StageGraph::of(&policy);
/// let t = &graph.transitions[0];
/// assert_eq!(graph.stages[t.from].name, policy.stage(policy.start()).name);
/// assert!(!t.label.is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionArrow {
    /// Index of the stage it leaves.
    pub from: usize,
    /// Index of the stage it enters.
    pub to: usize,
    /// `event`, `event [guard]` or `auto [condition]`.
    pub label: String,
    /// Whether it is automatic (drawn dashed).
    pub auto: bool,
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

impl StageGraph {
    /// The graph of a compiled policy.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let graph = ombud_engine::policy::StageGraph::of(&policy);
    /// assert_eq!(graph.stages.len(), policy.stages().len());
    /// assert!(graph.stages.iter().any(|s| s.terminal));
    /// ```
    pub fn of(p: &CompiledPolicy) -> StageGraph {
        let tier = |t: &TierId| p.tier(*t).to_string();
        let stages = p
            .stages()
            .iter()
            .map(|s| StageBox {
                name: s.name.clone(),
                owner: choice(&s.owner, tier),
                due: choice(&s.due, |d| d.to_string()),
                requires: s.requires.clone(),
                terminal: s.terminal,
                extensions: s.extensions.iter().map(extension).collect(),
                notes: Vec::new(),
            })
            .collect();
        let obligations = p
            .obligations()
            .iter()
            .map(|o| {
                let starts = match (&o.start_on, &o.when) {
                    (Some(e), _) => format!("starts on: {e}"),
                    (None, Some(w)) => format!("starts when: {}", w.source()),
                    (None, None) => "starts: at opening".to_string(),
                };
                let mut notes = vec![starts, format!("done on: {}", o.done_on)];
                if let Some(l) = o.ladder {
                    notes.push(format!("ladder: {}", p.ladder(l).name));
                }
                StageBox {
                    name: o.name.clone(),
                    owner: Some(p.tier(o.owner).to_string()),
                    due: Some(o.due.to_string()),
                    requires: Vec::new(),
                    terminal: false,
                    extensions: o.extensions.iter().map(extension).collect(),
                    notes,
                }
            })
            .collect();
        let transitions = p
            .edges()
            .map(|(from, to, label)| {
                let (label, auto) = match label {
                    EdgeLabel::Event { event, guard: Some(g) } => (format!("{event} [{g}]"), false),
                    EdgeLabel::Event { event, guard: None } => (event.clone(), false),
                    EdgeLabel::Auto { condition } => (format!("auto [{condition}]"), true),
                };
                TransitionArrow { from: from.index(), to: to.index(), label, auto }
            })
            .collect();
        StageGraph { start: p.start().index(), stages, transitions, obligations }
    }

    /// Mermaid `flowchart TD` text (renders on GitHub): stages as boxes (terminal ones round),
    /// transitions as arrows (automatic ones dashed).
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let text = ombud_engine::policy::StageGraph::of(&policy).mermaid();
    /// assert!(text.contains("    start((start))\n"));
    /// ```
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        out.push_str("    start((start))\n");
        for (i, s) in self.stages.iter().enumerate() {
            let label =
                s.lines().iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>");
            if s.terminal {
                let _ = writeln!(out, "    s{i}([\"{label}\"])");
            } else {
                let _ = writeln!(out, "    s{i}[\"{label}\"]");
            }
        }
        let _ = writeln!(out, "    start --> s{}", self.start);
        for t in &self.transitions {
            let arrow = if t.auto { "-.->" } else { "-->" };
            let _ = writeln!(
                out,
                "    s{} {arrow}|\"{}\"| s{}",
                t.from,
                mermaid_escape(&t.label),
                t.to
            );
        }
        if !self.obligations.is_empty() {
            out.push_str("    subgraph obligations\n");
            for (i, o) in self.obligations.iter().enumerate() {
                let label =
                    o.lines().iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>");
                let _ = writeln!(out, "        o{i}[/\"{label}\"/]");
            }
            out.push_str("    end\n");
        }
        for (i, s) in self.stages.iter().enumerate() {
            if s.terminal {
                let _ = writeln!(out, "    class s{i} terminal");
            }
        }
        out.push_str("    classDef terminal fill:#e8f5e9,stroke:#2e7d32\n");
        out
    }

    /// Graphviz DOT text of the graph named `id`.
    ///
    /// ```
    /// # let policy = ombud_engine::doc_support::reference_policy();
    /// let text = ombud_engine::policy::StageGraph::of(&policy).dot("service-complaints");
    /// assert!(text.starts_with("digraph \"service-complaints\" {\n"));
    /// ```
    pub fn dot(&self, id: &str) -> String {
        let mut out = format!("digraph \"{}\" {{\n", dot_escape(id));
        out.push_str(
            "    rankdir=TB;\n    node [shape=box, style=rounded, fontname=\"sans-serif\"];\n",
        );
        out.push_str("    edge [fontname=\"sans-serif\", fontsize=10];\n");
        out.push_str("    start [shape=circle, label=\"start\"];\n");
        for (i, s) in self.stages.iter().enumerate() {
            let label = s.lines().iter().map(|l| dot_escape(l)).collect::<Vec<_>>().join("\\n");
            let shape = if s.terminal { ", shape=doubleoctagon" } else { "" };
            let _ = writeln!(out, "    s{i} [label=\"{label}\"{shape}];");
        }
        let _ = writeln!(out, "    start -> s{};", self.start);
        for t in &self.transitions {
            let style = if t.auto { ", style=dashed" } else { "" };
            let _ = writeln!(
                out,
                "    s{} -> s{} [label=\"{}\"{style}];",
                t.from,
                t.to,
                dot_escape(&t.label)
            );
        }
        if !self.obligations.is_empty() {
            out.push_str("    subgraph cluster_obligations {\n        label=\"obligations\";\n");
            for (i, o) in self.obligations.iter().enumerate() {
                let label = o.lines().iter().map(|l| dot_escape(l)).collect::<Vec<_>>().join("\\n");
                let _ = writeln!(out, "        o{i} [label=\"{label}\", shape=note];");
            }
            out.push_str("    }\n");
        }
        out.push_str("}\n");
        out
    }
}

/// Escapes text for a quoted Mermaid label (entity codes, as GitHub's renderer expects).
/// An extension as a box line: `extension_approved: by 15 working days (max 2; requires
/// approval; when complex)`.
fn extension(e: &super::Extension) -> String {
    let mut extra = Vec::new();
    if e.max != 1 {
        extra.push(format!("max {}", e.max));
    }
    if !e.requires.is_empty() {
        extra.push(format!("requires {}", e.requires.join(", ")));
    }
    if let Some(w) = &e.when {
        extra.push(format!("when {}", w.source()));
    }
    if extra.is_empty() {
        format!("{}: {}", e.on, e.change)
    } else {
        format!("{}: {} ({})", e.on, e.change, extra.join("; "))
    }
}

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
