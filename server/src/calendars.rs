//! Calendar updates: a calendar file that extends a bundled calendar with next year's holidays
//! (or corrected data), deployed over the API. Deploying stores it, makes every policy that names
//! the calendar it extends count on it for every later change, and brings each open ticket's
//! clocks onto it (each in its own transaction): provisional deadlines are confirmed or moved.

use crate::AppState;
use crate::engine::{
    ClockUpdate, CompiledCalendar, Engine, UpdateSummary, compile_calendar, compile_policy_on,
};
use crate::error::ApiError;
use crate::policies::Calendars;
use crate::store::{Store, millis};
use crate::tickets::{self, Recalendared};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Reads the deployed calendar updates (at start, and after a deploy): each by id, and for each
/// bundled calendar the latest deployed that extends it.
pub async fn load(store: &Store) -> Result<Calendars, crate::Error> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT id, extends, source FROM calendars ORDER BY seq")
            .fetch_all(&store.read)
            .await?;
    let mut calendars = Calendars::default();
    for (id, extends, source) in rows {
        let compiled = compile_calendar(&format!("{id}.yaml"), &source).map_err(|d| {
            crate::Error::Other(format!(
                "deployed calendar `{id}` no longer loads: {} diagnostics",
                d.len()
            ))
        })?;
        calendars.current.insert(extends.clone(), Arc::clone(&compiled.calendar));
        calendars.by_id.insert(id, (extends, compiled.calendar));
    }
    Ok(calendars)
}

/// Reads the deployed calendar updates again when another instance deployed one (their count
/// grew), so every instance runs on the same calendars.
pub async fn refresh(state: &AppState) -> Result<(), ApiError> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM calendars").fetch_one(&state.store.read).await?;
    if usize::try_from(count).ok() != Some(state.policies.calendars().by_id.len()) {
        let calendars = load(&state.store).await.map_err(|e| ApiError::internal(e.to_string()))?;
        state.policies.set_calendars(calendars);
    }
    Ok(())
}

/// `POST /v1/calendars`: lints the calendar file `text` (`name` is the file name diagnostics
/// show), then with `preview` answers what it would do to open tickets and changes nothing;
/// otherwise stores it, runs the policies that name the calendar it extends on it, and brings
/// every open ticket of theirs onto it. Deploying the same file again changes nothing more.
pub async fn deploy(
    state: &AppState,
    name: &str,
    text: &str,
    by: &str,
    preview: bool,
) -> Result<Value, ApiError> {
    let (name_owned, text_owned) = (name.to_string(), text.to_string());
    let compiled = tokio::task::spawn_blocking(move || compile_calendar(&name_owned, &text_owned))
        .await
        .map_err(ApiError::internal)?
        .map_err(|d| ApiError::invalid_calendar(&d))?;
    let CompiledCalendar { calendar, id, extends, covered_until } = compiled;
    let digest = crate::auth::hex(&Sha256::digest(text.as_bytes()));
    let store = &state.store;
    let existing: Option<(String,)> = sqlx::query_as("SELECT digest FROM calendars WHERE id = $1")
        .bind(&id)
        .fetch_optional(&store.write)
        .await?;
    let created = match existing {
        Some((d,)) if d == digest => false,
        Some(_) => {
            return Err(ApiError::conflict(
                "calendar_exists",
                format!(
                    "calendar `{id}` is deployed with other content; give the changed calendar a new `id`"
                ),
            ));
        }
        None => true,
    };
    // The policy versions that name the calendar this one extends, on it.
    let mut targets: Vec<(String, String, Arc<Engine>)> = Vec::new();
    let stand_ins: HashMap<_, _> = [(extends.clone(), Arc::clone(&calendar))].into();
    // The calendar those policies count on now: the latest update deployed for `extends`, else
    // the bundled one. An update that lacks what it has (covers fewer dates, counts other
    // hours) is refused.
    let current = state.policies.calendars().current.get(&extends).cloned();
    for v in state.policies.versions(store, None).await? {
        let bundled = state.policies.engine_on(&store.read, &v.policy, &v.version, "").await?;
        if crate::engine::calendar_id(&bundled) != extends {
            continue;
        }
        let source = state.policies.source(store, &v.policy, &v.version).await?;
        let (name, stand_ins) = (v.name.clone(), stand_ins.clone());
        let engine = tokio::task::spawn_blocking(move || {
            compile_policy_on(&name, &source, None, &stand_ins)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|d| ApiError::invalid_policy(&d))?
        .engine;
        // The policy on that calendar, with its own overrides (hours, cutoff) as the update
        // gets them.
        let previous = match &current {
            Some(c) => state.policies.engine_on(&store.read, &v.policy, &v.version, c.id()).await?,
            None => bundled,
        };
        crate::engine::check_calendar_update(&engine, previous.policy().calendar())
            .map_err(|r| ApiError::rejected(&r))?;
        targets.push((v.policy, v.version, engine));
    }
    if !preview {
        if created {
            let inserted = sqlx::query(
                "INSERT INTO calendars (id, extends, digest, source, deployed_ms, deployed_by) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&id)
            .bind(&extends)
            .bind(&digest)
            .bind(text)
            .bind(millis(chrono::Utc::now()))
            .bind(by)
            .execute(&store.write)
            .await;
            match inserted {
                Ok(_) => {}
                // Deployed by another request at the same moment: judge again.
                Err(e) if crate::store::is_unique_violation(&e) => {
                    return Box::pin(deploy(state, name, text, by, preview)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let calendars = load(store).await.map_err(|e| ApiError::internal(e.to_string()))?;
        state.policies.set_calendars(calendars);
    }
    let mut updates: Vec<ClockUpdate> = Vec::new();
    let mut refused = Vec::new();
    let (mut open, mut already) = (0usize, 0usize);
    for (policy, version, engine) in &targets {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM tickets WHERE policy_id = $1 AND policy_version = $2 AND closed = 0 \
             ORDER BY id",
        )
        .bind(policy)
        .bind(version)
        .fetch_all(&store.read)
        .await?;
        for (ticket,) in ids {
            open += 1;
            match tickets::recalendar(state, &ticket, engine, preview).await? {
                Recalendared::Already => already += 1,
                Recalendared::Updated(u) => updates.extend(u),
                Recalendared::Refused(r) => refused.push(json!({"id": ticket, "refused": r})),
            }
        }
    }
    let mut answer = json!({
        "calendar": id,
        "extends": extends,
        "covered_until": covered_until,
        "digest": digest,
        "preview": preview,
        "created": created && !preview,
        "policies": targets.iter().map(|(p, v, _)| json!({"policy": p, "version": v})).collect::<Vec<_>>(),
        "open_tickets": open,
        "already_on_it": already,
    });
    // The figures (`provisional`, `confirmed`, `unchanged_provisional`, `moved`, `moves`, …),
    // as `ombud recalendar` gives them.
    if let (Value::Object(a), Ok(Value::Object(figures))) =
        (&mut answer, serde_json::to_value(UpdateSummary::of(&updates)))
    {
        a.extend(figures);
        a.insert("clocks".into(), serde_json::to_value(&updates).unwrap_or_default());
        a.insert("refused".into(), Value::Array(refused));
    }
    Ok(answer)
}

/// `GET /v1/calendars`: the deployed calendar updates, oldest first.
pub async fn list(store: &Store) -> Result<Value, ApiError> {
    let rows: Vec<(String, String, String, i64, String)> = sqlx::query_as(
        "SELECT id, extends, digest, deployed_ms, deployed_by FROM calendars ORDER BY seq",
    )
    .fetch_all(&store.read)
    .await?;
    let mut current: HashMap<&str, &str> = HashMap::new();
    for (id, extends, ..) in &rows {
        current.insert(extends, id);
    }
    Ok(Value::Array(
        rows.iter()
            .map(|(id, extends, digest, ms, by)| {
                json!({
                    "id": id,
                    "extends": extends,
                    "digest": digest,
                    "deployed_at": crate::store::instant(*ms),
                    "deployed_by": by,
                    "current": current.get(extends.as_str()) == Some(&id.as_str()),
                })
            })
            .collect(),
    ))
}
