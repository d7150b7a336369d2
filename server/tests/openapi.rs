//! `server/openapi.yaml` describes exactly the routes the server has: every route of the router
//! is in the file with the role it needs, and every operation in the file is a route.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test on a broken setup"
)]

mod common;

use common::{Db, Running, config};
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_file_lists_every_route_and_its_role() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let role = op["x-ombud-role"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no x-ombud-role"));
            let responses = op["responses"].as_object().unwrap();
            if role != "none" {
                assert!(responses.contains_key("401"), "{method} {path} documents no 401");
                assert!(responses.contains_key("429"), "{method} {path} documents no 429");
            }
            if role == "agent" || role == "admin" {
                assert!(responses.contains_key("403"), "{method} {path} documents no 403");
            }
            documented.insert((method.to_uppercase(), path.clone(), role.to_string()));
        }
    }
    let db = Db::sqlite();
    let s = Running::start(config(&db)).await;
    let routed: BTreeSet<(String, String, String)> = s
        .server
        .routes()
        .iter()
        .map(|r| {
            let role = r.role.map_or("none", |r| r.as_str());
            (r.method.as_str().to_string(), r.path.to_string(), role.to_string())
        })
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes not in openapi.yaml (or with another role): {missing:?}");
    assert!(extra.is_empty(), "openapi.yaml operations the server does not route: {extra:?}");
    // The server serves the same file.
    let admin = s.admin();
    let (status, _, body) = s.raw("GET", "/v1/openapi.yaml", Some(&admin), None).await;
    assert_eq!((status.as_u16(), body.as_ref()), (200, text.as_bytes()));
    s.server.shutdown().await;
}
