//! The notice reader against the bundled calendar.

use super::*;
use crate::calendar::DayNote;
use std::collections::BTreeSet;

#[test]
fn the_english_names_are_those_of_the_bundled_file() {
    let cn = Calendar::bundled("cn-mainland").unwrap();
    let (from, to) = cn.coverage();
    let names: BTreeSet<String> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter_map(|d| match cn.day_note(d) {
            Some(DayNote::Holiday { name, name_local: Some(local) }) => {
                Some(format!("{local}={name}"))
            }
            _ => None,
        })
        .collect();
    for (zh, en) in NOTICE_HOLIDAYS {
        assert!(names.contains(&format!("{zh}={en}")), "{zh}={en} not in {names:?}");
    }
}
