//! Embedding Ombud in a host application, start to finish.
//!
//! Load the reference policy, open a ticket, apply events, store the ticket as JSON, load it back,
//! advance the clock, and print what must happen next.
//!
//! ```sh
//! cargo run --example embed
//! ```

use ombud_engine::{Engine, Event, OpenTicket, Ticket};
use std::error::Error;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn Error>> {
    // 1. Compile the policy once at start-up. Every mistake comes back as a located diagnostic.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/service-complaints.yaml");
    let policy = match ombud_engine::load_policy_file(std::path::Path::new(path)) {
        Ok((policy, _warnings)) => policy,
        Err(err) => {
            for d in err.diagnostics() {
                eprintln!("{d} at {}:{}:{}", d.file().unwrap_or(path), d.span.line, d.span.column);
            }
            return Err(err.into());
        }
    };
    // 2. One engine per policy version; it is Send + Sync, share it across threads.
    let engine = Engine::new(Arc::new(policy));
    let tz = engine.policy().calendar().tz();

    // 3. A fee complaint arrives on the Friday evening before Spring Festival 2026.
    let open: OpenTicket = serde_json::from_value(serde_json::json!({
        "id": "T-2026-0001",
        "at": "2026-02-13T17:30:00+08:00",
        "fields": {
            "channel": "app",
            "departments": ["billing"],
            "claim_amount": 320,
            "text": "重复计费: I was charged twice for January"
        }
    }))?;
    let (mut ticket, outcome) = engine.open(&open)?;
    println!(
        "opened {} in stage `{}`; wake me at {:?}",
        ticket.id(),
        ticket.stage(),
        outcome.next_wakeup
    );

    // 4. Events carry their own time. A refused event is an error and leaves the ticket unchanged.
    for event in [
        Event::named("registered", "2026-02-13T09:50:00Z".parse()?),
        Event::attach("investigation_report", "2026-02-14T02:00:00Z".parse()?),
        Event::named("report_filed", "2026-02-14T02:05:00Z".parse()?),
        // The person who handles it for the supervisor tier: marks are recorded against them too.
        Event::assign("li.wei", "2026-02-14T02:10:00Z".parse()?),
    ] {
        let outcome = engine.apply(&mut ticket, &event)?;
        for row in &outcome.rows {
            let at = ombud_engine::timefmt::short(tz, row.at);
            println!(
                "  {at}  {:<9} {:<8} {}",
                row.kind,
                row.stage.as_deref().unwrap_or(""),
                row.detail
            );
        }
    }
    match engine.apply(&mut ticket, &Event::named("confirmed", "2026-02-14T03:00:00Z".parse()?)) {
        Ok(_) => println!("unexpected: `confirmed` was accepted in `{}`", ticket.stage()),
        Err(refusal) => println!("refused as expected: {refusal}"),
    }

    // 5. The host stores the ticket (stable JSON, sorted maps) and the wake-up time.
    let stored = serde_json::to_string(&ticket)?;
    println!("stored {} bytes of ticket JSON", stored.len());

    // 6. Later, the timer fires: load the ticket back and bring it up to date.
    let mut ticket: Ticket = serde_json::from_str(&stored)?;
    let now = "2026-02-26T16:00:00Z".parse()?; // midnight ending Thu 26 Feb: the deadline
    let outcome = engine.advance(&mut ticket, now)?;
    for action in &outcome.actions {
        let tier = action.tier.as_deref().unwrap_or("-");
        print!("  action: {:?} on `{}` for {tier}", action.kind, action.subject);
        match (&action.mark, &action.against, &action.assignee) {
            (Some(mark), Some(t), Some(person)) => {
                println!(", mark `{mark}` against {t} ({person})")
            }
            (Some(mark), Some(t), None) => println!(", mark `{mark}` against {t}"),
            _ => println!(),
        }
    }

    // 7. What the host shows its staff now.
    let next = engine.next_actions(&ticket, now)?;
    println!("{}", serde_json::to_string_pretty(&next)?);
    Ok(())
}
