//! Who may do what, route by route over real HTTP: every route but the health check and the
//! board's page needs a token (401 without one or with a wrong one), a role below the route's
//! gets 403, and the route's role and every role above it get through. The route list is the
//! server's own table, which `openapi.rs` checks against the OpenAPI file. Wrong tokens are
//! limited per client address and in all (429 with `Retry-After`), on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use axum::http::StatusCode;
use common::{Db, Running, client_from, config, limited};
use ombud_server::{Config, Role};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// A path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{period}", "2026-Q3").replace("{version}", "1").replace(['{', '}'], "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_checks_token_and_role() {
    let db = Db::sqlite();
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    let tokens = [
        (Role::Viewer, s.token(&admin, "viewer", "v").await),
        (Role::Agent, s.token(&admin, "agent", "a").await),
        (Role::Admin, admin.clone()),
    ];
    let revoked = s.token(&admin, "admin", "gone").await;
    let revoked_id = revoked.split('_').nth(1).unwrap().to_string();
    assert_eq!(
        s.call("DELETE", &format!("/v1/tokens/{revoked_id}"), Some(&admin), None).await.0,
        StatusCode::NO_CONTENT
    );
    // The admin token's id with another secret.
    let (id, secret) = admin.trim_start_matches("ombud_").split_once('_').unwrap();
    let forged = format!("ombud_{id}_{}", secret.chars().rev().collect::<String>());

    let routes = s.server.routes().to_vec();
    assert!(routes.len() >= 25, "{routes:?}");
    for route in &routes {
        let (method, path) = (route.method.as_str(), concrete(route.path));
        let what = format!("{method} {path}");
        let Some(role) = route.role else {
            let (status, _) = s.call(method, &path, None, None).await;
            assert_eq!(status, StatusCode::OK, "{what} needs no token");
            continue;
        };
        for bad in [None, Some("nonsense"), Some(revoked.as_str()), Some(forged.as_str())] {
            let (status, headers, body) = s.raw(method, &path, bad, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what} with {bad:?}");
            assert_eq!(headers["www-authenticate"], "Bearer");
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["code"], "unauthorized");
        }
        for (r, token) in &tokens {
            let (status, body) = s.call(method, &path, Some(token), None).await;
            if *r < role {
                assert_eq!(status, StatusCode::FORBIDDEN, "{what} as {r:?}: {body}");
                assert_eq!(body["message"], format!("this needs the `{}` role", role.as_str()));
            } else {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{what} as {r:?}: {status} {body}"
                );
            }
        }
    }
    // The roles the table gives the routes that change things.
    let role_of = |m: &str, p: &str| {
        routes.iter().find(|r| r.method.as_str() == m && r.path == p).unwrap().role
    };
    assert_eq!(role_of("POST", "/v1/tickets"), Some(Role::Agent));
    assert_eq!(role_of("POST", "/v1/tickets/{id}/events"), Some(Role::Agent));
    assert_eq!(role_of("POST", "/v1/policies"), Some(Role::Admin));
    assert_eq!(role_of("POST", "/v1/tokens"), Some(Role::Admin));
    assert_eq!(role_of("GET", "/v1/tickets/{id}"), Some(Role::Viewer));
    assert_eq!(role_of("GET", "/healthz"), None);
    s.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_stored_hashed_and_never_shown_again() {
    let db = Db::sqlite();
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    let (status, made) = s
        .call("POST", "/v1/tokens", Some(&admin), Some(json!({"role": "agent", "name": "li.wei"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = made["token"].as_str().unwrap();
    assert!(token.starts_with(&format!("ombud_{}_", made["id"].as_str().unwrap())));
    let (_, me) = s.call("GET", "/v1/me", Some(token), None).await;
    assert_eq!(me, json!({"token": made["id"], "name": "li.wei", "role": "agent"}));
    let (_, listed) = s.call("GET", "/v1/tokens", Some(&admin), None).await;
    let text = listed.to_string();
    assert!(!text.contains(token) && !text.contains(&admin) && !text.contains("hash"), "{text}");
    assert_eq!(listed["tokens"].as_array().unwrap().len(), 2);
    // The database holds the SHA-256 of each token and nothing from which to rebuild one.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite:{}", db.url)).await.unwrap();
    let rows =
        sqlx::query("SELECT id, hash, role, name FROM tokens").fetch_all(&pool).await.unwrap();
    let hex = |t: &str| {
        Sha256::digest(t.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let hashes: Vec<String> = rows.iter().map(|r| r.get::<String, _>("hash")).collect();
    assert!(hashes.contains(&hex(token)) && hashes.contains(&hex(&admin)));
    for r in &rows {
        for column in ["id", "hash", "role", "name"] {
            let value: String = r.get(column);
            assert!(!value.contains(token) && !value.contains(&admin));
        }
    }
    pool.close().await;
    // Revoked: 401 from then on.
    let id = made["id"].as_str().unwrap();
    assert_eq!(
        s.call("DELETE", &format!("/v1/tokens/{id}"), Some(&admin), None).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(s.call("GET", "/v1/me", Some(token), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.call("DELETE", &format!("/v1/tokens/{id}"), Some(&admin), None).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, answer) = s
        .call("POST", "/v1/tokens", Some(&admin), Some(json!({"role": "root", "name": "x"})))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_role"))
    );
    // Webhook secrets are shown once, when registered.
    let hook = json!({"url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef-secret"});
    let (status, made) = s.call("POST", "/v1/webhooks", Some(&admin), Some(hook)).await;
    assert_eq!(
        (status, made["secret"].as_str()),
        (StatusCode::CREATED, Some("0123456789abcdef-secret"))
    );
    let (_, listed) = s.call("GET", "/v1/webhooks", Some(&admin), None).await;
    assert!(!listed.to_string().contains("secret"), "{listed}");
    // A second start of the database issues no admin token; asking for one does.
    s.server.shutdown().await;
    let again = Running::start(config(&db)).await;
    assert_eq!(again.server.admin_token(), None);
    assert_eq!(again.call("GET", "/v1/me", Some(&admin), None).await.0, StatusCode::OK);
    again.server.shutdown().await;
    let fresh = Running::start(ombud_server::Config { new_admin_token: true, ..config(&db) }).await;
    let (_, me) = fresh.call("GET", "/v1/me", Some(&fresh.admin()), None).await;
    assert_eq!(me["role"], "admin");
    fresh.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_after_the_token_check() {
    let db = Db::sqlite();
    let s = Running::start(config(&db)).await;
    let admin = s.admin();
    let big = vec![b'x'; 2 * 1024 * 1024];
    for path in ["/v1/policies", "/v1/tickets", "/v1/webhooks", "/v1/tokens"] {
        let (status, _, body) = s.raw("POST", path, Some(&admin), Some(big.clone())).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "body_too_large");
        let (status, _, _) = s.raw("POST", path, None, Some(big.clone())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
    }
    s.server.shutdown().await;
}

/// `GET /v1/me` with `token`, from a client: the status, `Retry-After` and the JSON body.
async fn me_from(
    s: &Running,
    client: &reqwest::Client,
    token: &str,
) -> (u16, Option<u64>, serde_json::Value) {
    let resp = client.get(format!("{}/v1/me", s.base)).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    let retry =
        resp.headers().get("retry-after").map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    (status, retry, serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap())
}

const WRONG: &str = "ombud_000000000000_0000";

async fn wrong_tokens_are_limited_per_address(db: Db) {
    let s = Running::start(limited(&db, 3, 100)).await;
    let admin = s.admin();
    let (a, b) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    // The address's wrong tokens within the limit: 401, as always.
    for _ in 0..3 {
        let (status, retry, body) = me_from(&s, &a, WRONG).await;
        assert_eq!((status, retry), (401, None), "{body}");
    }
    // Beyond it: 429, a typed body and Retry-After, even with the right token.
    for token in [WRONG, admin.as_str()] {
        let (status, retry, body) = me_from(&s, &a, token).await;
        assert_eq!((status, body["code"].as_str()), (429, Some("too_many_attempts")), "{body}");
        let retry = retry.unwrap();
        assert!((3590..=3600).contains(&retry), "Retry-After: {retry}");
        assert_eq!(body["retry_after"].as_u64(), Some(retry));
    }
    // Another address is not limited: its right token works, its wrong ones count for it.
    let (status, _, body) = me_from(&s, &b, &admin).await;
    assert_eq!((status, body["role"].as_str()), (200, Some("admin")), "{body}");
    assert_eq!(me_from(&s, &b, WRONG).await.0, 401);
    // Its success did not reset the first address's count.
    assert_eq!(me_from(&s, &a, &admin).await.0, 429);
    // Requests without a token are not guesses: a route without one still answers.
    let health = b.get(format!("{}/healthz", s.base)).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    s.server.shutdown().await;
}

async fn wrong_tokens_are_limited_in_all(db: Db) {
    let s = Running::start(limited(&db, 2, 3)).await;
    let admin = s.admin();
    let at_work = client_from([127, 0, 0, 9]);
    assert_eq!(me_from(&s, &at_work, &admin).await.0, 200);
    // Three wrong tokens from two addresses, each within its own limit, reach the global one.
    let (a, b) = (client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2]));
    assert_eq!(me_from(&s, &a, WRONG).await.0, 401);
    assert_eq!(me_from(&s, &a, WRONG).await.0, 401);
    assert_eq!(me_from(&s, &b, WRONG).await.0, 401);
    // A new address may not try, not even the right token; nor may one that failed.
    let fresh = client_from([127, 0, 0, 3]);
    let (status, retry, _) = me_from(&s, &fresh, &admin).await;
    assert_eq!(status, 429);
    assert!(retry.is_some_and(|r| (3590..=3600).contains(&r)), "{retry:?}");
    assert_eq!(me_from(&s, &b, &admin).await.0, 429);
    // An address that presented a valid token within the window goes on working.
    assert_eq!(me_from(&s, &at_work, &admin).await.0, 200);
    s.server.shutdown().await;
}

/// With 2 wrong tokens allowed per address, over connections all from 127.0.0.1: two wrong
/// tokens forwarded for 203.0.113.5, then the statuses of a third one from there and of the
/// right token forwarded for 203.0.113.6.
async fn forwarded(db: &Db, behind_https_proxy: bool) -> (u16, u16) {
    let config = Config { behind_https_proxy, new_admin_token: true, ..limited(db, 2, 100) };
    let s = Running::start(config).await;
    let admin = s.admin();
    let send = |token: &str, from: &str| {
        s.client
            .get(format!("{}/v1/me", s.base))
            .bearer_auth(token)
            .header("x-forwarded-for", format!("198.51.100.7, {from}"))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(send(WRONG, "203.0.113.5").await.unwrap().status().as_u16(), 401);
    }
    let again = send(WRONG, "203.0.113.5").await.unwrap().status().as_u16();
    let other = send(&admin, "203.0.113.6").await.unwrap().status().as_u16();
    s.server.shutdown().await;
    (again, other)
}

async fn the_forwarded_address_counts_only_behind_a_proxy(db: Db) {
    // Behind the proxy, each forwarded address has its own count.
    assert_eq!(forwarded(&db, true).await, (429, 200));
    // Otherwise X-Forwarded-For is anyone's to write: the connection's address counts.
    assert_eq!(forwarded(&db, false).await, (429, 429));
}

on_both!(
    wrong_tokens_are_limited_per_address,
    wrong_tokens_are_limited_in_all,
    the_forwarded_address_counts_only_behind_a_proxy,
);
