//! Deployed policies: every version ever deployed stays in the database (tickets stay on the
//! version they opened under until an admin migrates them); new tickets open under a policy's
//! latest version. Compiled engines are kept in memory, compiled from the stored source on
//! first use, so every instance runs exactly what was deployed.

use crate::engine::{Compiled, Diagnostic, Engine, SharedCalendar, compile_policy_on};
use crate::error::ApiError;
use crate::store::{Store, instant, millis};
use ombud_engine::FileKind;
use ombud_engine::policy::read_policy_file;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

/// The policies shipped in `policies/`, deployed on start when no directory is given.
pub const BUNDLED: [(&str, &str); 4] = [
    ("bank-complaints.yaml", include_str!("../../policies/bank-complaints.yaml")),
    ("city-hotline-12345.yaml", include_str!("../../policies/city-hotline-12345.yaml")),
    ("samr-12315.yaml", include_str!("../../policies/samr-12315.yaml")),
    ("service-complaints.yaml", include_str!("../../policies/service-complaints.yaml")),
];

/// Compiled engines by (policy id, version), on the calendars deployed.
#[derive(Default)]
pub struct Policies {
    /// On the current calendars: what every change uses.
    engines: RwLock<HashMap<(String, String), Arc<Engine>>>,
    /// On a named calendar (`""`: the bundled one the policy names), by (policy id, version,
    /// calendar id): the calendar a ticket's clocks were counted on, for a calendar update.
    on_calendar: RwLock<HashMap<(String, String, String), Arc<Engine>>>,
    calendars: RwLock<Calendars>,
}

/// The deployed calendar updates.
#[derive(Clone, Default)]
pub struct Calendars {
    /// Each by id, with the bundled calendar it extends.
    pub by_id: HashMap<String, (String, SharedCalendar)>,
    /// By the bundled id it stands in for: the latest deployed that extends it.
    pub current: HashMap<String, SharedCalendar>,
    /// Counts the changes, so an engine compiled on calendars that changed meanwhile is not kept.
    generation: u64,
}

/// What deploying a policy did.
#[derive(Debug, Serialize)]
pub struct Deployed {
    /// Policy id.
    pub policy: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the source.
    pub digest: String,
    /// False when exactly this version was already deployed (nothing changed).
    pub created: bool,
    /// Warnings in the engine's JSON diagnostic shape.
    pub warnings: serde_json::Value,
}

/// Why a deploy was refused.
pub enum DeployError {
    /// The policy has errors.
    Invalid(Vec<Diagnostic>),
    /// The version exists with other content.
    Conflict(String),
    /// The database failed.
    Api(ApiError),
}

impl From<ApiError> for DeployError {
    fn from(e: ApiError) -> Self {
        DeployError::Api(e)
    }
}

impl From<sqlx::Error> for DeployError {
    fn from(e: sqlx::Error) -> Self {
        DeployError::Api(e.into())
    }
}

impl From<DeployError> for ApiError {
    fn from(e: DeployError) -> Self {
        match e {
            DeployError::Invalid(d) => ApiError::invalid_policy(&d),
            DeployError::Conflict(m) => ApiError::conflict("version_exists", m),
            DeployError::Api(e) => e,
        }
    }
}

/// A deployed version as listed.
#[derive(Debug, Serialize)]
pub struct Version {
    /// Policy id.
    pub policy: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the source.
    pub digest: String,
    /// File name it was deployed as.
    pub name: String,
    /// When.
    pub deployed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// By which token (its name).
    pub deployed_by: String,
    /// Whether new tickets open under it (the latest deployed version).
    pub current: bool,
    /// Open tickets pinned to it.
    pub open_tickets: i64,
    /// All tickets pinned to it.
    pub tickets: i64,
}

impl Policies {
    /// Lints, compiles and stores a policy. `name` is the file name diagnostics show.
    pub async fn deploy(
        &self,
        store: &Store,
        name: &str,
        text: &str,
        by: &str,
    ) -> Result<Deployed, DeployError> {
        let (name_owned, text_owned) = (name.to_string(), text.to_string());
        let (generation, stand_ins) = self.stand_ins();
        let compiled = tokio::task::spawn_blocking(move || {
            compile_policy_on(&name_owned, &text_owned, None, &stand_ins)
        })
        .await
        .map_err(|e| DeployError::Api(ApiError::internal(e)))?
        .map_err(DeployError::Invalid)?;
        let Compiled { engine, id, version, digest, warnings } = compiled;
        let warnings = crate::engine::diagnostics_json(&warnings);
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT digest FROM policies WHERE id = $1 AND version = $2")
                .bind(&id)
                .bind(&version)
                .fetch_optional(&store.write)
                .await?;
        let created = match existing {
            Some((d,)) if d == digest => false,
            Some(_) => {
                return Err(DeployError::Conflict(format!(
                    "policy `{id}` version `{version}` is deployed with other content; give the changed policy a new `version`"
                )));
            }
            None => {
                let inserted = sqlx::query(
                    "INSERT INTO policies (id, version, digest, name, source, deployed_ms, deployed_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&id)
                .bind(&version)
                .bind(&digest)
                .bind(name)
                .bind(text)
                .bind(millis(chrono::Utc::now()))
                .bind(by)
                .execute(&store.write)
                .await;
                match inserted {
                    Ok(_) => true,
                    // Deployed by another request at the same moment: judge again.
                    Err(e) if crate::store::is_unique_violation(&e) => {
                        return Box::pin(self.deploy(store, name, text, by)).await;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        if let Ok(calendars) = self.calendars.read()
            && calendars.generation == generation
            && let Ok(mut engines) = self.engines.write()
        {
            engines.insert((id.clone(), version.clone()), engine);
        }
        Ok(Deployed { policy: id, version, digest, created, warnings })
    }

    /// The engine of a deployed version, compiled from its stored source on first use. `db` is
    /// a pool, or the connection of the transaction under way (a transaction must not wait for a
    /// second connection of a pool it may have exhausted).
    pub async fn engine<'c, E>(
        &self,
        db: E,
        id: &str,
        version: &str,
    ) -> Result<Arc<Engine>, ApiError>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        let key = (id.to_string(), version.to_string());
        if let Some(e) = self.engines.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(e);
        }
        let (generation, stand_ins) = self.stand_ins();
        let engine = self.compile_stored(db, id, version, stand_ins).await?;
        // Kept only when no calendar update was deployed meanwhile (the lock on the calendars
        // is held while inserting, so a deploy waits for it and then clears it).
        if let Ok(calendars) = self.calendars.read()
            && calendars.generation == generation
            && let Ok(mut engines) = self.engines.write()
        {
            engines.insert(key, engine.clone());
        }
        Ok(engine)
    }

    /// The engine of a deployed version on calendar `calendar` (a deployed update's id; `""` or
    /// a bundled id: the calendar the policy names), compiled on first use.
    pub async fn engine_on<'c, E>(
        &self,
        db: E,
        id: &str,
        version: &str,
        calendar: &str,
    ) -> Result<Arc<Engine>, ApiError>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        let deployed = self.calendars.read().ok().and_then(|c| c.by_id.get(calendar).cloned());
        let calendar = if deployed.is_some() { calendar } else { "" };
        let key = (id.to_string(), version.to_string(), calendar.to_string());
        if let Some(e) = self.on_calendar.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(e);
        }
        let stand_ins: HashMap<String, SharedCalendar> = deployed.into_iter().collect();
        let engine = self.compile_stored(db, id, version, stand_ins).await?;
        if let Ok(mut engines) = self.on_calendar.write() {
            engines.insert(key, engine.clone());
        }
        Ok(engine)
    }

    /// The current calendar updates, by the bundled id each stands in for, and their
    /// generation.
    fn stand_ins(&self) -> (u64, HashMap<String, SharedCalendar>) {
        self.calendars.read().map(|c| (c.generation, c.current.clone())).unwrap_or_default()
    }

    /// The deployed calendar updates.
    pub fn calendars(&self) -> Calendars {
        self.calendars.read().map(|c| c.clone()).unwrap_or_default()
    }

    /// Runs on `calendars` from now on: every later change (openings, events, timers) counts on
    /// the current ones.
    pub fn set_calendars(&self, calendars: Calendars) {
        if let Ok(mut c) = self.calendars.write() {
            let generation = c.generation + 1;
            *c = Calendars { generation, ..calendars };
            if let Ok(mut engines) = self.engines.write() {
                engines.clear();
            }
        }
    }

    /// Compiles a deployed version from its stored source with `stand_ins`.
    async fn compile_stored<'c, E>(
        &self,
        db: E,
        id: &str,
        version: &str,
        stand_ins: HashMap<String, SharedCalendar>,
    ) -> Result<Arc<Engine>, ApiError>
    where
        E: sqlx::Executor<'c, Database = sqlx::Any>,
    {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT name, source FROM policies WHERE id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(db)
                .await?;
        let Some((name, source)) = row else {
            return Err(ApiError::not_found(&format!("policy `{id}` version `{version}`")));
        };
        let compiled = tokio::task::spawn_blocking(move || {
            compile_policy_on(&name, &source, None, &stand_ins)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|d| {
            ApiError::internal(format_args!(
                "stored policy `{id}` {version} no longer compiles: {} diagnostics",
                d.len()
            ))
        })?;
        Ok(compiled.engine)
    }

    /// The latest deployed version of policy `id`, or 404.
    pub async fn current(&self, store: &Store, id: &str) -> Result<String, ApiError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT version FROM policies WHERE id = $1 ORDER BY seq DESC LIMIT 1")
                .bind(id)
                .fetch_optional(&store.read)
                .await?;
        row.map(|(v,)| v).ok_or_else(|| ApiError::not_found(&format!("policy `{id}`")))
    }

    /// Every deployed version (of policy `id` only, when given), oldest first.
    pub async fn versions(
        &self,
        store: &Store,
        id: Option<&str>,
    ) -> Result<Vec<Version>, ApiError> {
        let rows: Vec<(String, String, String, String, i64, String, i64)> = sqlx::query_as(
            "SELECT id, version, digest, name, deployed_ms, deployed_by, seq FROM policies \
             WHERE ($1 = '' OR id = $1) ORDER BY id, seq",
        )
        .bind(id.unwrap_or(""))
        .fetch_all(&store.read)
        .await?;
        let counts: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT policy_id, policy_version, COUNT(CASE WHEN closed = 0 THEN 1 END), COUNT(*) FROM tickets \
             WHERE ($1 = '' OR policy_id = $1) GROUP BY policy_id, policy_version",
        )
        .bind(id.unwrap_or(""))
        .fetch_all(&store.read)
        .await?;
        let mut latest: HashMap<&str, i64> = HashMap::new();
        for (pid, _, _, _, _, _, seq) in &rows {
            let e = latest.entry(pid.as_str()).or_insert(*seq);
            *e = (*e).max(*seq);
        }
        let mut out = Vec::with_capacity(rows.len());
        for (pid, version, digest, name, ms, by, seq) in &rows {
            let (open, all) = counts
                .iter()
                .find(|(p, v, _, _)| p == pid && v == version)
                .map(|(_, _, o, a)| (*o, *a))
                .unwrap_or((0, 0));
            out.push(Version {
                policy: pid.clone(),
                version: version.clone(),
                digest: digest.clone(),
                name: name.clone(),
                deployed_at: instant(*ms),
                deployed_by: by.clone(),
                current: latest.get(pid.as_str()) == Some(seq),
                open_tickets: open,
                tickets: all,
            });
        }
        Ok(out)
    }

    /// The source text of a deployed version.
    pub async fn source(&self, store: &Store, id: &str, version: &str) -> Result<String, ApiError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT source FROM policies WHERE id = $1 AND version = $2")
                .bind(id)
                .bind(version)
                .fetch_optional(&store.read)
                .await?;
        row.map(|(s,)| s)
            .ok_or_else(|| ApiError::not_found(&format!("policy `{id}` version `{version}`")))
    }

    /// Deploys the policies of `dir` (every `*.yaml`/`*.yml` file that is a policy by its
    /// top-level keys, [`FileKind`]; scenarios, calendar files and other YAML files are skipped
    /// and named in a note), or the bundled ones. A version already deployed with other content
    /// is kept and reported as a warning; a policy with errors, or a YAML file that cannot be
    /// read within the 1 MiB cap, stops the start.
    pub async fn deploy_at_start(
        &self,
        store: &Store,
        dir: Option<&Path>,
    ) -> Result<Vec<String>, crate::Error> {
        let mut notes = Vec::new();
        let files: Vec<(String, String)> =
            match dir {
                None => BUNDLED.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect(),
                Some(dir) => {
                    let found = policy_files(dir)?;
                    notes.extend(found.skipped.iter().map(|(name, kind)| {
                        format!("skipped {name}: {}, not a policy", kind.noun())
                    }));
                    found.policies
                }
            };
        for (name, text) in files {
            match self.deploy(store, &name, &text, "start").await {
                Ok(d) => notes.push(format!(
                    "policy {} {}{}",
                    d.policy,
                    d.version,
                    if d.created { " deployed" } else { "" }
                )),
                Err(DeployError::Conflict(m)) => notes.push(format!("warning: {name}: {m}")),
                Err(DeployError::Invalid(diagnostics)) => {
                    return Err(crate::Error::Policy { file: name, diagnostics });
                }
                Err(DeployError::Api(e)) => {
                    return Err(crate::Error::Other(format!("deploying `{name}`: {}", e.body())));
                }
            }
        }
        Ok(notes)
    }
}

/// The YAML files of a policy directory, sorted by name.
struct DirFiles {
    /// The policies: file name and text.
    policies: Vec<(String, String)>,
    /// The others (scenarios, calendar files, other YAML) and what each is.
    skipped: Vec<(String, FileKind)>,
}

/// The YAML files of `dir` (not its subdirectories), each read within the 1 MiB cap and sorted
/// by what its top-level keys say it is ([`FileKind`], as `lint` and `test` sort them).
fn policy_files(dir: &Path) -> Result<DirFiles, crate::Error> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut found = DirFiles { policies: Vec::new(), skipped: Vec::new() };
    for path in paths {
        let name = path.display().to_string();
        let text = read_policy_file(&path).map_err(|e| crate::Error::Policy {
            file: name.clone(),
            diagnostics: e.into_diagnostics(),
        })?;
        match FileKind::of_text(&text) {
            FileKind::Policy => found.policies.push((name, text)),
            kind => found.skipped.push((name, kind)),
        }
    }
    Ok(found)
}
