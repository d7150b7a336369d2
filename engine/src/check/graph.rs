//! Checks on the stage graph: reachability from `start`, reaching a terminal stage, and cycles
//! with no way out (codes E0301–E0304).

use super::{Diagnostic, Span};
use crate::check::DiagnosticCode;
use crate::compile::{EdgeLabel, StageId};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, Reversed};

/// What the graph checks need to know about a stage.
#[derive(Debug, Clone)]
pub(crate) struct StageInfo<'a> {
    /// Stage name.
    pub name: &'a str,
    /// Span of the stage's name.
    pub span: Span,
    /// Whether the stage is terminal.
    pub terminal: bool,
}

/// Runs every graph check. Node `i` of `graph` must be stage `i`.
pub(crate) fn check_graph(
    graph: &DiGraph<StageId, EdgeLabel>,
    stages: &[StageInfo<'_>],
    start: Option<StageId>,
    stages_key: Span,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let terminals: Vec<usize> =
        stages.iter().enumerate().filter(|(_, s)| s.terminal).map(|(i, _)| i).collect();
    if terminals.is_empty() && !stages.is_empty() {
        out.push(
            Diagnostic::error(
                DiagnosticCode::E0301,
                "no stage is terminal, so no ticket can ever close",
            )
            .with_span(stages_key)
            .with_hint("mark the final stage with `terminal: true`"),
        );
    }
    if let Some(start) = start {
        let mut reached = vec![false; stages.len()];
        let mut dfs = Dfs::new(graph, NodeIndex::new(start.index()));
        while let Some(n) = dfs.next(graph) {
            if let Some(r) = reached.get_mut(n.index()) {
                *r = true;
            }
        }
        for (i, s) in stages.iter().enumerate() {
            if !reached.get(i).copied().unwrap_or(true) {
                let start_name = stages.get(start.index()).map_or("", |s| s.name);
                out.push(
                    Diagnostic::error(
                        DiagnosticCode::E0302,
                        format!("stage `{}` cannot be reached from `{start_name}`", s.name),
                    )
                    .with_span(s.span)
                    .with_hint(format!(
                        "add a transition to `{}` (e.g. `on: {{ <event>: {} }}`) or remove the stage",
                        s.name, s.name
                    )),
                );
            }
        }
    }
    if terminals.is_empty() {
        return out;
    }
    // Stages from which some terminal is reachable: a search backwards from the terminals.
    let reversed = Reversed(graph);
    let mut can_finish = vec![false; stages.len()];
    for &t in &terminals {
        let mut dfs = Dfs::new(reversed, NodeIndex::new(t));
        while let Some(n) = dfs.next(reversed) {
            if let Some(c) = can_finish.get_mut(n.index()) {
                *c = true;
            }
        }
    }
    let mut in_trap_cycle = vec![false; stages.len()];
    for scc in tarjan_scc(graph) {
        let cyclic =
            scc.len() > 1 || scc.first().is_some_and(|n| graph.find_edge(*n, *n).is_some());
        if !cyclic || scc.iter().any(|n| can_finish.get(n.index()).copied().unwrap_or(true)) {
            continue;
        }
        let mut ids: Vec<usize> = scc.iter().map(|n| n.index()).collect();
        ids.sort_unstable();
        for &i in &ids {
            if let Some(t) = in_trap_cycle.get_mut(i) {
                *t = true;
            }
        }
        let names: Vec<&str> = ids.iter().filter_map(|&i| stages.get(i)).map(|s| s.name).collect();
        let Some(first) = ids.first().and_then(|&i| stages.get(i)) else { continue };
        out.push(
            Diagnostic::error(
                DiagnosticCode::E0304,
                format!(
                    "stages {} form a cycle with no exit",
                    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_span(first.span)
            .with_hint("add a transition out of the cycle towards a terminal stage"),
        );
    }
    for (i, s) in stages.iter().enumerate() {
        if !can_finish.get(i).copied().unwrap_or(true)
            && !in_trap_cycle.get(i).copied().unwrap_or(false)
        {
            let dead_end = graph.neighbors(NodeIndex::new(i)).next().is_none();
            let msg = if dead_end {
                format!("stage `{}` has no way out and is not terminal", s.name)
            } else {
                format!("no terminal stage can be reached from stage `{}`", s.name)
            };
            out.push(Diagnostic::error(DiagnosticCode::E0303, msg).with_span(s.span).with_hint(
                "add a transition towards a terminal stage, or mark it `terminal: true`",
            ));
        }
    }
    out
}
