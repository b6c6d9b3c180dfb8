//! Any bytes as a segment rule: parsing and compiling never panic, and whatever compiles has
//! exactly as many placeholders as bound parameters (so no value can shift into SQL).
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard::contacts::model::{AttrKey, AttrKind};
use switchboard::segments::compile::compile;
use switchboard::segments::rules::Rule;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let groups = body.get("groups").unwrap_or(&body);
    let Ok(rule) = Rule::parse(groups, body.get("groupLogic"), "") else {
        return;
    };
    let keys = [
        AttrKey { slot: 1, name: "country".into(), kind: AttrKind::String },
        AttrKey { slot: 2, name: "orders".into(), kind: AttrKind::Number },
        AttrKey { slot: 64, name: "member".into(), kind: AttrKind::Boolean },
    ];
    if let Ok(compiled) = compile(&rule, &keys, 1, 1_795_341_600) {
        let placeholders = compiled.sql.matches('?').count();
        assert_eq!(placeholders, compiled.params.len(), "{}", compiled.sql);
    }
});
