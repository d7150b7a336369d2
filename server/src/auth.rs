//! Bearer tokens and roles.
//!
//! A token is `ombud_<ID>_<SECRET>`: a public id (which row to look at) and 32 random bytes. The
//! database keeps only the SHA-256 of the whole token; a presented token is hashed and compared
//! with the stored hash in constant time. The token's secret is random and long, so a fast hash
//! is as safe as a slow one here (nothing to guess from a dictionary).

use crate::error::ApiError;
use crate::store::{Store, millis};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use subtle::ConstantTimeEq;

/// What a token may do. Each role may do everything the roles below it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read tickets, the queue, policies, the ledger, reports and metrics.
    Viewer,
    /// As viewer, and open tickets and send events.
    Agent,
    /// As agent, and deploy policies, migrate tickets, manage tokens and webhooks.
    Admin,
}

impl Role {
    /// The role's name.
    ///
    /// ```
    /// assert_eq!(ombud_server::Role::Agent.as_str(), "agent");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who sent a request: the token's id, name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's public id.
    pub token: String,
    /// The name given when the token was made.
    pub name: String,
    /// The role.
    pub role: Role,
}

const PREFIX: &str = "ombud_";

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `n` random bytes as hex, from the operating system's generator.
pub(crate) fn random_hex(n: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format_args!("random: {e}")))?;
    Ok(hex(&bytes))
}

fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A freshly made token, shown once.
#[derive(Clone, Debug, Serialize)]
pub struct NewToken {
    /// Public id (for listing and revoking).
    pub id: String,
    /// The token itself.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Its name.
    pub name: String,
}

/// Makes and stores a token; only its hash is kept.
pub async fn create(store: &Store, role: Role, name: &str) -> Result<NewToken, ApiError> {
    let id = random_hex(6)?;
    let token = format!("{PREFIX}{id}_{}", random_hex(32)?);
    sqlx::query(
        "INSERT INTO tokens (id, hash, role, name, created_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(&id)
    .bind(hash(&token))
    .bind(role.as_str())
    .bind(name)
    .bind(millis(chrono::Utc::now()))
    .execute(&store.write)
    .await?;
    Ok(NewToken { id, token, role, name: name.to_string() })
}

/// On the first start of a database, an admin token (returned to be printed once); with
/// `again`, a new one even when the database has one.
pub async fn bootstrap(store: &Store, again: bool) -> Result<Option<NewToken>, ApiError> {
    let first = sqlx::query(
        "INSERT INTO meta (key, value) VALUES ('admin_token_issued', $1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(chrono::Utc::now().to_rfc3339())
    .execute(&store.write)
    .await?
    .rows_affected()
        == 1;
    if first || again { create(store, Role::Admin, "admin").await.map(Some) } else { Ok(None) }
}

/// The principal of an `Authorization` header value, or 401.
pub async fn authenticate(store: &Store, header: Option<&str>) -> Result<Principal, ApiError> {
    let token = header
        .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(ApiError::unauthorized)?;
    authenticate_token(store, token).await
}

/// The principal of a token (as presented, without `Bearer `), or 401.
pub async fn authenticate_token(store: &Store, token: &str) -> Result<Principal, ApiError> {
    let id = token
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .map(|(id, _)| id)
        .filter(|id| !id.is_empty() && id.len() <= 32)
        .ok_or_else(ApiError::unauthorized)?;
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT hash, role, name FROM tokens WHERE id = $1 AND revoked_ms IS NULL")
            .bind(id)
            .fetch_optional(&store.read)
            .await?;
    let Some((stored, role, name)) = row else { return Err(ApiError::unauthorized()) };
    let presented = hash(token);
    if !bool::from(presented.as_bytes().ct_eq(stored.as_bytes())) {
        return Err(ApiError::unauthorized());
    }
    let role = Role::parse(&role).ok_or_else(ApiError::unauthorized)?;
    Ok(Principal { token: id.to_string(), name, role })
}

/// A token as listed (never the token itself).
#[derive(Clone, Debug, Serialize)]
pub struct TokenInfo {
    id: String,
    role: String,
    name: String,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every token that is not revoked.
pub async fn list(store: &Store) -> Result<Vec<TokenInfo>, ApiError> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, role, name, created_ms FROM tokens WHERE revoked_ms IS NULL ORDER BY created_ms, id",
    )
    .fetch_all(&store.read)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, role, name, created)| TokenInfo {
            id,
            role,
            name,
            created_at: crate::store::instant(created),
        })
        .collect())
}

/// Revokes token `id`; false when there is no such token.
pub async fn revoke(store: &Store, id: &str) -> Result<bool, ApiError> {
    let done =
        sqlx::query("UPDATE tokens SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL")
            .bind(millis(chrono::Utc::now()))
            .bind(id)
            .execute(&store.write)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Parses a role name from a request.
pub fn role_named(name: &str) -> Result<Role, ApiError> {
    Role::parse(name).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_role",
            format!("no role `{name}`: use admin, agent or viewer"),
        )
    })
}
