//! What a YAML file is — a policy, a scenario or a calendar file — told by its top-level keys,
//! so a directory may hold a policy beside its scenarios and calendars and every host (the
//! `lint` and `test` commands, the server's policy directory) sorts it the same way.

use crate::calendar::Calendar;
use std::path::Path;

/// What a YAML file is, judged by its top-level keys.
///
/// ```
/// use ombud_engine::FileKind;
/// assert_eq!(FileKind::of_text("policy: p\nversion: \"1\"\nstages: {}\n"), FileKind::Policy);
/// assert_eq!(FileKind::of_text("policy: p.yaml\nticket: {}\nevents: []\n"), FileKind::Scenario);
/// assert_eq!(FileKind::of_text("id: org\nextends: cn-mainland\n"), FileKind::Calendar);
/// assert_eq!(FileKind::of_text("name: something else\n"), FileKind::Other);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// `policy:` with `stages:` or `start:`, or `policy:` and nothing that marks another kind.
    Policy,
    /// `ticket:`, `events:`, `expect:` or `until:`, without `stages:` or `start:`.
    Scenario,
    /// `covers:`, `holidays:` or `extends:`, without `policy:`.
    Calendar,
    /// None of these: some other YAML file.
    Other,
    /// Not a text Ombud reads (over the 1 MiB cap, not UTF-8): reported when checked.
    Unreadable,
}

impl FileKind {
    /// The kind of the file at `path` (read within the 1 MiB cap).
    pub fn of(path: &Path) -> FileKind {
        match crate::policy::read_policy_file(path) {
            Ok(text) => FileKind::of_text(&text),
            Err(_) => FileKind::Unreadable,
        }
    }

    /// The kind of a YAML text.
    pub fn of_text(text: &str) -> FileKind {
        let keys = top_level_keys(text);
        let has = |k: &str| keys.contains(&k);
        let policy_body = has("stages") || has("start");
        if has("policy") && policy_body {
            FileKind::Policy
        } else if !policy_body && ["ticket", "events", "expect", "until"].into_iter().any(has) {
            FileKind::Scenario
        } else if Calendar::is_calendar_text(text) {
            FileKind::Calendar
        } else if has("policy") || policy_body {
            FileKind::Policy
        } else {
            FileKind::Other
        }
    }

    /// The kind in words, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            FileKind::Policy => "a policy",
            FileKind::Scenario => "a scenario",
            FileKind::Calendar => "a calendar file",
            FileKind::Other => "not an Ombud file",
            FileKind::Unreadable => "not a text Ombud reads",
        }
    }
}

/// The keys of a YAML text's top-level mapping in block style: lines that start with a key
/// (`key:`, `"key":`) at the first column.
fn top_level_keys(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| {
            l.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '"' || c == '\'')
        })
        .filter_map(|l| {
            let (key, rest) = l.split_once(':')?;
            (rest.is_empty() || rest.starts_with([' ', '\t']))
                .then(|| key.trim().trim_matches(['"', '\'']))
        })
        .collect()
}
