//! Times the two halves of an import separately: parsing+validation, and the writer's upsert.
use std::collections::HashMap;
use std::time::Instant;
use switchboard::contacts::{bulk, import, model::PersonType, phone::PhoneRules};

fn main() {
    let path = std::env::args().nth(1).expect("csv path");
    let bytes = std::fs::read(path).unwrap();
    let phones = PhoneRules::new(None).unwrap();
    let ctx = import::Context {
        phones: &phones,
        today: time::macros::date!(2026 - 11 - 22),
        kinds: HashMap::new(),
    };
    let t = Instant::now();
    let mut batches = Vec::new();
    let failures = import::read_csv(
        || Ok(&bytes[..]),
        &ctx,
        |b| {
            batches.push(b);
            Ok(())
        },
    )
    .unwrap();
    let rows: usize = batches.iter().map(Vec::len).sum();
    println!(
        "parse+validate: {rows} rows, {} failures in {:?}",
        failures.count(),
        t.elapsed()
    );

    let dir = tempfile::tempdir().unwrap();
    let conn = switchboard::db::open_single(&dir.path().join("p.db")).unwrap();
    if let Ok(kib) = std::env::var("CACHE_KIB") {
        conn.execute_batch(&format!("PRAGMA cache_size = -{kib}"))
            .unwrap();
    }
    conn.execute("INSERT INTO accounts (email, password_hash, plan, created_at) VALUES ('a@b.co', 'x', 'unlimited', 0)", []).unwrap();
    let t = Instant::now();
    for batch in batches {
        conn.execute_batch("BEGIN").unwrap();
        bulk::upsert(&conn, 1, PersonType::Contact, &batch, 0).unwrap();
        conn.execute_batch("COMMIT").unwrap();
    }
    println!("upsert: {:?}", t.elapsed());
}
