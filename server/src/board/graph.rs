//! The order the board lists a policy's stages in: from the start stage, breadth first along
//! the transitions (so a stage comes after the stages that lead to it), then any stage not
//! reached, in the policy's order.

use crate::engine::StageGraph;
use std::collections::VecDeque;

/// The stages' indices, from the start, breadth first.
pub fn breadth_first(graph: &StageGraph) -> Vec<usize> {
    let n = graph.stages.len();
    let mut seen = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut queue = VecDeque::from([graph.start]);
    while let Some(i) = queue.pop_front() {
        if i >= n || seen[i] {
            continue;
        }
        seen[i] = true;
        order.push(i);
        queue.extend(graph.transitions.iter().filter(|t| t.from == i).map(|t| t.to));
    }
    order.extend((0..n).filter(|i| !seen[*i]));
    order
}
