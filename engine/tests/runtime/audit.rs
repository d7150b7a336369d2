//! Ticket JSON, the audit chain and its digests, and one engine shared across threads.

use crate::common::*;
use ombud_engine::runtime::{Engine, Event, Ticket};
use serde_json::json;
use std::sync::Arc;

#[test]
fn ticket_json_is_small_and_round_trips() {
    let e = engine();
    let ticket = in_work(
        &e,
        "2026-03-02T10:00:00+08:00",
        json!({"departments": ["billing", "network"], "text": "charged twice"}),
    );
    let json = serde_json::to_string(&ticket).unwrap();
    let back: Ticket = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ticket);
    let without_history = edited(&ticket, |json| {
        json.as_object_mut().unwrap().remove("history");
    });
    let size = serde_json::to_string(&without_history).unwrap().len();
    assert!(size < 2048, "ticket without history is {size} bytes");
}

#[test]
fn audit_chain_links_every_applied_event() {
    let e = engine();
    let mut ticket = in_work(&e, "2026-03-02T10:00:00+08:00", json!({}));
    e.apply(&mut ticket, &Event::attach("report", t("2026-03-02T11:00:00+08:00"))).unwrap();
    assert_eq!(ticket.history().len(), 3);
    let mut prev = ombud_engine::runtime::Digest::default();
    for rec in ticket.history() {
        assert_eq!(rec.hash, ombud_engine::runtime::record_hash(&prev, &rec.entry, &rec.state));
        prev = rec.hash.clone();
    }
    assert_eq!(ticket.audit_head(), &prev);
    assert_eq!(ombud_engine::runtime::state_digest(&ticket), ticket.history()[2].state);
}

#[test]
fn engine_is_shared_across_threads_with_identical_results() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Engine>();
    let e = Arc::new(reference());
    let run = |e: Arc<Engine>| {
        std::thread::spawn(move || {
            let mut ticket =
                open(&e, "2026-02-13T17:30:00+08:00", json!({"departments": ["a", "b"]}));
            e.apply(&mut ticket, &ev("registered", "2026-02-13T17:50:00+08:00")).unwrap();
            e.advance(&mut ticket, t("2026-03-01T00:00:00+08:00")).unwrap();
            serde_json::to_string(&ticket).unwrap()
        })
    };
    let (a, b) = (run(Arc::clone(&e)), run(Arc::clone(&e)));
    assert_eq!(a.join().unwrap(), b.join().unwrap());
}

#[test]
fn the_state_digest_follows_every_change_to_the_fields() {
    let e = engine();
    let mut ticket = open(&e, "2026-03-02T09:00:00+08:00", json!({"amount": 10}));
    let before = ombud_engine::runtime::state_digest(&ticket);
    assert_eq!(ombud_engine::runtime::state_digest(&ticket), before, "the digest is stable");
    // The fields remember their digest; a `set` must not reuse it.
    let amount = serde_json::from_value(json!({"amount": 11})).unwrap();
    e.apply(&mut ticket, &Event::set(amount, t("2026-03-02T09:10:00+08:00"))).unwrap();
    let after = ombud_engine::runtime::state_digest(&ticket);
    assert_ne!(after, before);
    // A ticket read back from JSON hashes the same as the one in memory.
    let reread: Ticket = serde_json::from_str(&serde_json::to_string(&ticket).unwrap()).unwrap();
    assert_eq!(ombud_engine::runtime::state_digest(&reread), after);
    // And the id is part of the state.
    let renamed = edited(&ticket, |json| json["id"] = "T-renamed".into());
    assert_ne!(ombud_engine::runtime::state_digest(&renamed), after);
}

/// The audit chain hosts have stored must verify under every later version of the engine, so
/// the encoding of a state is pinned here: a change to it fails this test. (The hashes are the
/// ones engines without assignees computed for the same ticket: a ticket that never had an
/// assignee hashes as it always did. Its clock breached: the ticket as engines that did not
/// record who held a breached clock stored it, without the record, keeps the chain they sealed.)
#[test]
fn audit_hashes_of_a_stored_ticket_do_not_change() {
    let e = engine();
    let mut ticket =
        open(&e, "2026-02-13T17:30:00+08:00", json!({"amount": 20000, "text": "账单"}));
    e.apply(&mut ticket, &ev("take", "2026-02-13T18:00:00+08:00")).unwrap();
    e.apply(&mut ticket, &Event::attach("report", t("2026-02-24T10:00:00+08:00"))).unwrap();
    e.advance(&mut ticket, t("2026-03-04T00:00:00+08:00")).unwrap();
    // A state with a performance mark, an escalation and a paused clock.
    e.apply(&mut ticket, &ev("wait", "2026-03-04T01:00:00+08:00")).unwrap();
    assert_eq!(ticket.marks().len(), 1);
    let heads: Vec<String> = ticket.history().iter().map(|r| r.hash.to_string()).collect();
    assert_eq!(
        heads,
        [
            "b505d911470f2ebf0149ac6ded60c6ff8f76274c1c2d5fb301ce1281020e1bdd",
            "5e26df08a0ef4448aed02e349bc8a40f5cfe00265b2ceda1d482c69bfed981e9",
            "553efeeee4d3fdd20189ffd2a84bb401fabbbe6a5e7d6176f2479b915c3b6f68",
            "4f19819ee57ebf2c10062916fce7c0fa56e4b5cb5305f104df7baa9be634576c",
        ]
    );
    let stored_before_breach_records = edited(&ticket, |json| {
        json["clock"].as_object_mut().unwrap().remove("breach");
        json["obligations"]["statement"].as_object_mut().unwrap().remove("breach");
        let sealed = [
            (
                "46a59bff2781cbbbc2e450cd12e6d6d7ea465d3e6f702c132dc0f8822f706ed6",
                "b505d911470f2ebf0149ac6ded60c6ff8f76274c1c2d5fb301ce1281020e1bdd",
            ),
            (
                "f96f00909b3b5fc62be53382863a66c086609b0d00c0cf06a0e5faffffa668ff",
                "5e26df08a0ef4448aed02e349bc8a40f5cfe00265b2ceda1d482c69bfed981e9",
            ),
            (
                "78400d417d19bb040ccaff5179c4184bfa9de42415447e701619ff8bde2f954e",
                "b2023ede21cccc6a6268f6881504ef72db5066237e21ece1da33ae18fd478f43",
            ),
            (
                "c9ce72e18925deda2b3b598de6a9a054fe47b3f1a9580db4e0afc3f40404ba02",
                "6d7edfafe5f0054aaaf4e77ea8f3372ce564ef55fd20d807eb95d5b36ad02834",
            ),
        ];
        for (rec, (state, hash)) in json["history"].as_array_mut().unwrap().iter_mut().zip(sealed) {
            (rec["state"], rec["hash"]) = (state.into(), hash.into());
        }
        json["audit_head"] = sealed[3].1.into();
    });
    assert!(stored_before_breach_records.clock().unwrap().breached);
    assert_eq!(ombud_engine::verify_ticket(&stored_before_breach_records).problem, None);
}
