//! The queue: tickets by tier, with their deadlines, filters and flags.

use super::*;

/// One ticket of the queue.
pub struct QueueRow {
    /// Ticket id.
    pub id: String,
    /// Policy id and version.
    pub policy: String,
    /// Stage.
    pub stage: String,
    /// Assignee.
    pub assignee: String,
    /// Red-flagged.
    pub flagged: bool,
    /// Past its deadline.
    pub overdue: bool,
    /// Stage clock stopped.
    pub paused: bool,
    /// The earliest running deadline.
    pub deadline: Option<When>,
    /// Whether it is provisional.
    pub provisional: bool,
    /// Time left (or overdue by).
    pub left: String,
    /// When the complaint was received.
    pub opened: Option<When>,
}

/// The tickets of one tier.
pub struct TierGroup {
    /// The tier (empty: none).
    pub tier: String,
    /// Its tickets, red flags and overdue first.
    pub rows: Vec<QueueRow>,
    /// How many are red-flagged or overdue.
    pub urgent: usize,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(crate) struct QueuePage {
    c: Chrome,
    groups: Vec<TierGroup>,
    total: usize,
    f: QueueForm,
    policies: Vec<String>,
    tiers: Vec<String>,
    stages: Vec<String>,
    assignees: Vec<String>,
    zone: String,
    bad_due_before: bool,
}

/// The queue's filters, as the board's form sends them (empty: any).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct QueueForm {
    #[serde(default)]
    policy: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    flagged: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    due_before: String,
}

impl QueueForm {
    fn any(&self) -> bool {
        [&self.policy, &self.tier, &self.stage, &self.assignee, &self.flagged, &self.overdue]
            .iter()
            .any(|s| !s.is_empty())
            || !self.due_before.is_empty()
    }
}

pub(crate) fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

pub(crate) fn yes_no(s: &str) -> Option<bool> {
    match s {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The current version of every deployed policy, with its engine.
pub(crate) async fn current_engines(
    state: &AppState,
) -> Result<Vec<(String, Arc<Engine>)>, ApiError> {
    let versions = state.policies.versions(&state.store, None).await?;
    let mut out = Vec::new();
    for v in versions.iter().filter(|v| v.current) {
        out.push((
            v.policy.clone(),
            state.policies.engine(&state.store.read, &v.policy, &v.version).await?,
        ));
    }
    Ok(out)
}

pub(crate) fn push_new(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

pub(crate) async fn queue(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    jar: CookieJar,
    Query(f): Query<QueueForm>,
) -> PageResult {
    let s = signed_in(&state, &jar).await?;
    let lang = Lang::of(&jar, &headers);
    let c = Chrome::new(lang, &uri, Some(&s), "queue");
    let fail = |c: Chrome, e: ApiError| error_page(c, &e);
    let engines = match current_engines(&state).await {
        Ok(e) => e,
        Err(e) => return Err(fail(c, e)),
    };
    let (mut tiers, mut stages) = (Vec::new(), Vec::new());
    for (_, e) in &engines {
        push_new(&mut tiers, engine::policy_tiers(e));
        push_new(&mut stages, engine::policy_stages(e));
    }
    // The zone a typed "due before" is read in: the chosen policy's, else the first's.
    let zone_engine = engines
        .iter()
        .find(|(p, _)| *p == f.policy)
        .or_else(|| engines.first())
        .map(|(_, e)| e.clone());
    let zone =
        zone_engine.as_ref().map(|e| engine::calendar_zone(e).1).unwrap_or_else(|| "UTC".into());
    let due_before = some(&f.due_before).map(|typed| {
        // Second 60 reads as a leap second that chrono's arithmetic counts as `:59`: refused.
        let leap = |t: &DateTime<Utc>| chrono::Timelike::nanosecond(t) >= 1_000_000_000;
        typed.parse::<DateTime<Utc>>().ok().filter(|t| !leap(t)).or_else(|| {
            let local = NaiveDateTime::parse_from_str(&typed, "%Y-%m-%dT%H:%M").ok()?;
            zone_engine.as_ref().and_then(|e| engine::local_to_instant(e, local))
        })
    });
    let bad_due_before = matches!(due_before, Some(None));
    let filter = QueueFilter {
        policy: some(&f.policy),
        tier: some(&f.tier),
        stage: some(&f.stage),
        assignee: some(&f.assignee),
        flagged: yes_no(&f.flagged),
        overdue: yes_no(&f.overdue),
        due_before: due_before.flatten(),
        limit: Some(1000),
        ..QueueFilter::default()
    };
    let listed = match tickets::queue(&state, filter).await {
        Ok(v) => v,
        Err(e) => return Err(fail(c, e)),
    };
    let now = Utc::now();
    let mut groups: Vec<TierGroup> = Vec::new();
    let mut assignees = Vec::new();
    let mut total = 0;
    for t in listed["tickets"].as_array().into_iter().flatten() {
        let (policy, version) = (text(&t["policy"]), text(&t["version"]));
        let engine = match state.policies.engine(&state.store.read, &policy, &version).await {
            Ok(e) => e,
            Err(e) => return Err(fail(c, e)),
        };
        let deadline_at = instant(&t["deadline"]);
        let overdue = t["overdue"].as_bool().unwrap_or(false);
        let left = match deadline_at {
            Some(d) if overdue => {
                format!("{} {}", lang.text().overdue_by, lang.span((now - d).num_seconds()))
            }
            Some(d) => lang.span((d - now).num_seconds().max(0)),
            None => String::new(),
        };
        let tier = text(&t["tier"]);
        let assignee = text(&t["assignee"]);
        if !assignee.is_empty() {
            push_new(&mut assignees, [assignee.clone()]);
        }
        let row = QueueRow {
            id: text(&t["id"]),
            policy: format!("{policy} {version}"),
            stage: text(&t["stage"]),
            assignee,
            flagged: t["flagged"].as_bool().unwrap_or(false),
            overdue,
            paused: t["paused"].as_bool().unwrap_or(false),
            deadline: deadline_at.map(|d| when(lang, &engine, d, now)),
            provisional: t["provisional"].as_bool().unwrap_or(false),
            left,
            opened: instant(&t["opened_at"]).map(|d| when(lang, &engine, d, now)),
        };
        // Tiers in the order of their most urgent ticket (the queue's order: red flags, then
        // overdue tickets, then by deadline).
        let at = match groups.iter().position(|g: &TierGroup| g.tier == tier) {
            Some(i) => i,
            None => {
                groups.push(TierGroup { tier: tier.clone(), rows: Vec::new(), urgent: 0 });
                groups.len() - 1
            }
        };
        if let Some(group) = groups.get_mut(at) {
            group.urgent += usize::from(row.flagged || row.overdue);
            group.rows.push(row);
        }
        total += 1;
    }
    assignees.sort();
    let page = QueuePage {
        c,
        groups,
        total,
        f,
        policies: engines.iter().map(|(p, _)| p.clone()).collect(),
        tiers,
        stages,
        assignees,
        zone,
        bad_due_before,
    };
    Ok(render(&page, StatusCode::OK))
}
