//! `docs/api.md` lists exactly the crate's public items: this fails when one is added to or
//! removed from the crate without the page following.
//!
//! The public items are read from the source: the crate root's `pub use` list, and for each
//! public module (`pub mod` in `lib.rs`, not hidden) the `pub use` lists and the items its own
//! file defines as `pub`. Submodules of public modules are private, so that is all of them.
#![allow(clippy::unwrap_used, clippy::panic, reason = "test code: a failure is the test failing")]

use std::collections::BTreeSet;
use std::path::Path;

fn read(path: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join(path)).unwrap()
}

/// The names a file's `pub use` statements make public (`pub use a::{b, c as d};` gives `b`
/// and `d`).
fn reexports(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("\npub use ") {
        let stmt = &rest[at + "\npub use ".len()..];
        let end = stmt.find(';').unwrap();
        let body = &stmt[..end];
        let list = match (body.find('{'), body.rfind('}')) {
            (Some(open), Some(close)) => &body[open + 1..close],
            _ => body,
        };
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let name = part.rsplit(" as ").next().unwrap();
            names.push(name.rsplit("::").next().unwrap().to_string());
        }
        rest = &stmt[end..];
    }
    names
}

/// The items a file defines as `pub` at its top level.
fn definitions(text: &str) -> Vec<String> {
    let kinds = ["fn ", "struct ", "enum ", "const ", "type ", "trait ", "static "];
    text.lines()
        .filter_map(|l| l.strip_prefix("pub "))
        .filter_map(|l| kinds.iter().find_map(|k| l.strip_prefix(k)))
        .map(|l| l.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect())
        .collect()
}

/// Every public item, as `path::Name`.
fn public_items() -> BTreeSet<String> {
    let lib = read("src/lib.rs");
    let mut items: BTreeSet<String> =
        reexports(&lib).into_iter().map(|n| format!("ombud_engine::{n}")).collect();
    let mut hidden = false;
    for line in lib.lines() {
        if let Some(module) = line.strip_prefix("pub mod ").and_then(|l| l.strip_suffix(';'))
            && !hidden
        {
            let dir = format!("src/{module}/mod.rs");
            let exists = Path::new(env!("CARGO_MANIFEST_DIR")).join(&dir).exists();
            let text = read(&if exists { dir } else { format!("src/{module}.rs") });
            assert!(
                !text.lines().any(|l| l.starts_with("pub mod ")),
                "module `{module}` has a public submodule: re-export its items instead"
            );
            for name in reexports(&text).into_iter().chain(definitions(&text)) {
                items.insert(format!("ombud_engine::{module}::{name}"));
            }
        }
        hidden = line.trim() == "#[doc(hidden)]";
    }
    items
}

/// Every item `docs/api.md` lists: under a heading `## \`path\``, the backticked names of each
/// list entry before its ` — ` description.
fn documented() -> BTreeSet<String> {
    let page = read("../docs/api.md");
    let mut items = BTreeSet::new();
    let mut path = None;
    let mut entry = String::new();
    let mut flush = |path: &Option<String>, entry: &mut String| {
        let names = entry.split(" — ").next().unwrap_or_default();
        for name in names.split('`').skip(1).step_by(2) {
            let path = path.as_deref().unwrap();
            items.insert(format!("{path}::{name}"));
        }
        entry.clear();
    };
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            flush(&path, &mut entry);
            path = Some(heading.trim_matches('`').to_string());
        } else if let Some(item) = line.strip_prefix("- ") {
            flush(&path, &mut entry);
            entry.push_str(item);
        } else if line.starts_with("  ") && !entry.is_empty() {
            entry.push(' ');
            entry.push_str(line.trim());
        } else {
            flush(&path, &mut entry);
        }
    }
    flush(&path, &mut entry);
    items
}

#[test]
fn the_api_page_lists_exactly_the_public_items() {
    let (public, documented) = (public_items(), documented());
    let missing: Vec<&String> = public.difference(&documented).collect();
    let extra: Vec<&String> = documented.difference(&public).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/api.md does not match the crate.\npublic but not listed: {missing:#?}\nlisted but \
         not public: {extra:#?}"
    );
    // The crate root stays short: the host's vocabulary, not every module's.
    assert!(public.iter().filter(|i| i.matches("::").count() == 1).count() <= 40);
}
