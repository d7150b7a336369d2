//! The deployed policies and their versions, with their stage graphs.

use super::*;

/// A deployed version with its stage graph.
pub struct PolicyVersion {
    /// Version.
    pub version: String,
    /// New tickets open under it.
    pub current: bool,
    /// Deployed when and by whom.
    pub deployed: String,
    /// Open tickets on it.
    pub open_tickets: i64,
    /// All tickets on it.
    pub tickets: i64,
    /// Title.
    pub title: String,
    /// Calendar id and zone.
    pub calendar: String,
    /// The stages, in drawing order (from the start, breadth first).
    pub stages: Vec<StageCard>,
    /// The Mermaid text `ombud graph` prints.
    pub mermaid: String,
}

/// A stage of a policy's graph.
pub struct StageCard {
    /// Name.
    pub name: String,
    /// Owner tier.
    pub owner: String,
    /// Time limit.
    pub due: String,
    /// Required artifacts.
    pub requires: String,
    /// Closes the ticket.
    pub terminal: bool,
    /// The start stage.
    pub start: bool,
    /// Its transitions: label, target, automatic.
    pub out: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "policies.html")]
pub(crate) struct PoliciesPage {
    c: Chrome,
    policies: Vec<(String, Vec<PolicyVersion>)>,
}

pub(crate) async fn policies(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    let lang = Lang::of(&jar, &headers);
    let c = Chrome::new(lang, &uri, Some(&s), "policies");
    let versions = match state.policies.versions(&state.store, None).await {
        Ok(v) => v,
        Err(e) => return Err(error_page(c, &e)),
    };
    let now = Utc::now();
    let mut out: Vec<(String, Vec<PolicyVersion>)> = Vec::new();
    for v in versions.iter().rev() {
        let engine = match state.policies.engine(&state.store.read, &v.policy, &v.version).await {
            Ok(e) => e,
            Err(e) => return Err(error_page(c, &e)),
        };
        let graph = engine::stage_graph(&engine);
        let order = super::super::graph::breadth_first(&graph);
        let stages = order
            .iter()
            .filter_map(|&i| {
                let st = graph.stages.get(i)?;
                Some(StageCard {
                    name: st.name.clone(),
                    owner: st.owner.clone().unwrap_or_default(),
                    due: st.due.clone().unwrap_or_default(),
                    requires: st.requires.join(", "),
                    terminal: st.terminal,
                    start: i == graph.start,
                    out: graph
                        .transitions
                        .iter()
                        .filter(|t| t.from == i)
                        .map(|t| {
                            let to =
                                graph.stages.get(t.to).map(|s| s.name.clone()).unwrap_or_default();
                            (t.label.clone(), to, t.auto)
                        })
                        .collect(),
                })
            })
            .collect();
        let (calendar, zone) = engine::calendar_zone(&engine);
        let deployed = v
            .deployed_at
            .map(|d| format!("{} · {}", when(lang, &engine, d, now).text, v.deployed_by))
            .unwrap_or_default();
        let entry = PolicyVersion {
            version: v.version.clone(),
            current: v.current,
            deployed,
            open_tickets: v.open_tickets,
            tickets: v.tickets,
            title: engine::policy_title(&engine).unwrap_or_default(),
            calendar: format!("{calendar} ({zone})"),
            stages,
            mermaid: graph.mermaid(),
        };
        match out.iter_mut().find(|(p, _)| *p == v.policy) {
            Some((_, list)) => list.push(entry),
            None => out.push((v.policy.clone(), vec![entry])),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(render(&PoliciesPage { c, policies: out }, StatusCode::OK))
}
