//! The calendars compiled into the engine (`holidays/*.yaml`), so a host needs no files on disk.

use super::{Calendar, data};
use std::sync::{Arc, OnceLock};

/// One bundled file: id, file name, text, and the calendar once loaded.
struct Bundled {
    id: &'static str,
    file: &'static str,
    text: &'static str,
    cell: OnceLock<Option<Arc<Calendar>>>,
}

macro_rules! bundled {
    ($($id:literal => $file:literal),* $(,)?) => {
        [$(Bundled {
            id: $id,
            file: concat!("holidays/", $file),
            text: include_str!(concat!("../../../holidays/", $file)),
            cell: OnceLock::new(),
        }),*]
    };
}

static BUNDLED: [Bundled; 4] = bundled![
    "cn-mainland" => "cn-mainland.yaml",
    "weekdays" => "weekdays.yaml",
    "de-example" => "de-example.yaml",
    "example-utility" => "example-utility.yaml",
];

/// The ids of the bundled calendars.
pub(super) fn ids() -> Vec<&'static str> {
    BUNDLED.iter().map(|b| b.id).collect()
}

/// A bundled calendar by id, loaded on first use (a bundled file that fails to load — which the
/// tests rule out — is treated as absent).
pub(super) fn get(id: &str) -> Option<Arc<Calendar>> {
    let b = BUNDLED.iter().find(|b| b.id == id)?;
    b.cell.get_or_init(|| data::load(b.file, b.text, None, 1).ok().map(Arc::new)).clone()
}

/// Loads a bundled file afresh, with its diagnostics (for tests).
#[cfg(test)]
pub(super) fn load_fresh(id: &str) -> Result<Calendar, Vec<crate::check::Diagnostic>> {
    let b = BUNDLED.iter().find(|b| b.id == id).ok_or_else(Vec::new)?;
    data::load(b.file, b.text, None, 1)
}
