//! The board's login sessions and CSRF tokens.
//!
//! Logging in with a token opens a session: a random id (32 bytes) in an `HttpOnly`,
//! `SameSite=Strict` cookie (`Secure` behind an HTTPS proxy), of which the database keeps only the SHA-256, with the token it
//! was opened with (revoking the token ends its sessions at once), a CSRF token and an expiry.
//! Every form the board posts carries the session's CSRF token, compared in constant time; the
//! login form, before any session, carries a random value that must equal the one in a
//! short-lived cookie (a double-submit token). The JSON API does not look at cookies: it keeps
//! bearer tokens.

use crate::auth::{self, Principal, Role, random_hex};
use crate::error::ApiError;
use crate::store::{Store, millis};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::Utc;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie.
pub const SESSION_COOKIE: &str = "ombud_session";

/// The login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "ombud_login";

/// How long a session lasts: a working day and then some.
const LIFETIME_HOURS: i64 = 12;

/// A signed-in person: the token's principal and the session's CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    /// Who (the token's id, name and role).
    pub principal: Principal,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    id_hash: String,
}

impl Session {
    /// Whether the role is at least `role`.
    pub fn may(&self, role: Role) -> bool {
        self.principal.role >= role
    }

    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, presented: &str) -> bool {
        same(&self.csrf, presented)
    }
}

/// Compares two secrets in constant time.
pub fn same(expected: &str, presented: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

fn hash(id: &str) -> String {
    auth::hex(&Sha256::digest(id.as_bytes()))
}

/// A cookie of the board: path `/`, `HttpOnly`, `SameSite=Strict`, and `Secure` when `secure`
/// (the board is served over HTTPS: [`crate::Config::behind_https_proxy`]).
pub fn cookie(secure: bool, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// What removes cookie `name` (with the same attributes as [`cookie`]).
pub fn removal(secure: bool, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(secure, name, String::new());
    c.make_removal();
    c
}

/// Opens a session for `token`: the cookie to set and the principal, or `None` when the token
/// is not valid.
pub async fn open(
    store: &Store,
    secure: bool,
    token: &str,
) -> Result<Option<(Cookie<'static>, Principal)>, ApiError> {
    let principal = match auth::authenticate_token(store, token.trim()).await {
        Ok(p) => p,
        Err(e) if e.status() == axum::http::StatusCode::UNAUTHORIZED => return Ok(None),
        Err(e) => return Err(e),
    };
    let id = random_hex(32)?;
    let csrf = random_hex(32)?;
    let now = Utc::now();
    let expires = now + chrono::TimeDelta::hours(LIFETIME_HOURS);
    sqlx::query("DELETE FROM board_sessions WHERE expires_ms <= $1")
        .bind(millis(now))
        .execute(&store.write)
        .await?;
    sqlx::query(
        "INSERT INTO board_sessions (id_hash, token_id, csrf, created_ms, expires_ms) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash(&id))
    .bind(&principal.token)
    .bind(&csrf)
    .bind(millis(now))
    .bind(millis(expires))
    .execute(&store.write)
    .await?;
    Ok(Some((cookie(secure, SESSION_COOKIE, id), principal)))
}

/// The session of a request's cookies, if it is open, unexpired and its token not revoked.
pub async fn find(store: &Store, jar: &CookieJar) -> Result<Option<Session>, ApiError> {
    let Some(id) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    if id.len() != 64 {
        return Ok(None);
    }
    let id_hash = hash(&id);
    let row: Option<(String, String, String, String)> = sqlx::query_as(
        "SELECT s.csrf, t.id, t.role, t.name FROM board_sessions s JOIN tokens t ON t.id = s.token_id \
         WHERE s.id_hash = $1 AND s.expires_ms > $2 AND t.revoked_ms IS NULL",
    )
    .bind(&id_hash)
    .bind(millis(Utc::now()))
    .fetch_optional(&store.read)
    .await?;
    Ok(row.and_then(|(csrf, token, role, name)| {
        let role = Role::parse(&role)?;
        Some(Session { principal: Principal { token, name, role }, csrf, id_hash })
    }))
}

/// Ends a session.
pub async fn close(store: &Store, session: &Session) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM board_sessions WHERE id_hash = $1")
        .bind(&session.id_hash)
        .execute(&store.write)
        .await?;
    Ok(())
}
