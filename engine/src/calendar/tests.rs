//! Unit tests of the calendar module.

use super::*;

#[test]
fn bundled_calendars_load_without_diagnostics() {
    for id in Calendar::bundled_ids() {
        if let Err(d) = bundled::load_fresh(id) {
            panic!("{id}: {d:#?}");
        }
    }
}
