//! Any bytes as an import body, CSV or JSON (the first byte chooses): reading never panics,
//! a refusal is a 4xx, and every row is either emitted or listed as failed, once, by a row
//! number the file has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use switchboard::contacts::import::{self, Context};
use switchboard::contacts::phone::PhoneRules;
use switchboard::error::Kind;

fn phones() -> &'static PhoneRules {
    static PHONES: OnceLock<PhoneRules> = OnceLock::new();
    PHONES.get_or_init(|| PhoneRules::new(Some("IN")).unwrap())
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let ctx = Context {
        phones: phones(),
        today: time::macros::date!(2026 - 11 - 22),
        kinds: HashMap::new(),
    };
    let mut emitted = Vec::new();
    let emit = |rows: Vec<import::Row>| {
        emitted.extend(rows.into_iter().map(|r| r.number));
        Ok(())
    };
    let read = if choice % 2 == 0 {
        import::read_csv(|| Ok(body), &ctx, emit)
    } else {
        import::read_json(|| Ok(body), &ctx, emit)
    };
    match read {
        Ok(failed) => {
            let count = failed.count();
            let listed = failed.into_sorted();
            assert!(listed.len() <= count && listed.len() <= import::MAX_REPORTED);
            let mut seen = HashSet::new();
            for number in emitted.iter().copied().chain(listed.iter().map(|f| f.row)) {
                assert!(number >= 1, "rows count from 1");
                assert!(seen.insert(number), "row {number} reported twice");
            }
        }
        Err(e) => assert_ne!(e.kind, Kind::Internal, "{e}"),
    }
});
