//! Criterion micro-benchmarks of the hot pure code: compiling a segment rule to SQL,
//! normalising phone numbers, and resolving an API key from its digest.
//! Run: `cargo bench --bench micro` (numbers in README "Measured").

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;
use switchboard::accounts::model::Limits;
use switchboard::accounts::store::ResolvedKey;
use switchboard::auth::digest;
use switchboard::auth::keys::{self, KeyCache};
use switchboard::contacts::model::{AttrKey, AttrKind};
use switchboard::contacts::phone::PhoneRules;
use switchboard::segments::compile::compile;
use switchboard::segments::rules::Rule;

fn rules(c: &mut Criterion) {
    let body = json!({"groups": [
        {"conditions": [
            {"attribute": "tags", "operator": "has", "value": ["vip", "loyalty"]},
            {"attribute": "age", "operator": ">=", "value": 30},
            {"attribute": "country", "operator": "is", "value": "India"},
            {"logic": "or", "conditions": [
                {"attribute": "orders", "operator": ">", "value": 5},
                {"attribute": "lastActivityAt", "operator": "within_last_days", "value": 30}]}]},
        {"conditions": [{"attribute": "member", "operator": "==", "value": true}]}]});
    let keys = [
        AttrKey {
            slot: 1,
            name: "country".into(),
            kind: AttrKind::String,
        },
        AttrKey {
            slot: 2,
            name: "orders".into(),
            kind: AttrKind::Number,
        },
        AttrKey {
            slot: 3,
            name: "member".into(),
            kind: AttrKind::Boolean,
        },
    ];
    c.bench_function("rule: parse a 6-condition rule", |b| {
        b.iter(|| Rule::parse(black_box(&body["groups"]), None, "").unwrap())
    });
    let rule = Rule::parse(&body["groups"], None, "").unwrap();
    c.bench_function("rule: compile it to SQL", |b| {
        b.iter(|| compile(black_box(&rule), &keys, 1, 1_795_341_600).unwrap())
    });
}

fn phones(c: &mut Criterion) {
    let rules = PhoneRules::new(Some("IN")).unwrap();
    c.bench_function("phone: E.164 input (fast path)", |b| {
        b.iter(|| rules.normalize(black_box("+919876543210")).unwrap())
    });
    c.bench_function("phone: national input with the default region", |b| {
        b.iter(|| rules.normalize(black_box("098765 43210")).unwrap())
    });
    c.bench_function("phone: formatted foreign input", |b| {
        b.iter(|| rules.normalize(black_box("+1 (415) 555-2671")).unwrap())
    });
}

fn key_lookup(c: &mut Criterion) {
    let cache = KeyCache::new(0);
    let mut secrets = Vec::new();
    for i in 0..10_000 {
        let key = keys::generate();
        let resolved = ResolvedKey {
            key_id: i,
            account_id: i,
            limits: Limits::default(),
        };
        cache.insert(key.digest, resolved, cache.generation());
        secrets.push(key.secret);
    }
    let secret = secrets[4_321].clone();
    c.bench_function("key: digest and look up among 10,000 cached", |b| {
        b.iter(|| cache.get(&digest(black_box(&secret))).unwrap())
    });
}

criterion_group!(benches, rules, phones, key_lookup);
criterion_main!(benches);
