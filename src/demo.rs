//! `switchboard demo`: fills an account with realistic people to try the product on, and
//! for the benchmarks. Deterministic: the same seed and count give the same people.
//! Everyone goes through the same validation and bulk upsert as an import.

use crate::accounts::{Email, Plan, store as accounts};
use crate::auth::{keys, password, random_hex};
use crate::clock::{self, SECONDS_PER_DAY, Timestamp};
use crate::contacts::import::Row;
use crate::contacts::model::{PersonChanges, PersonInput, PersonType};
use crate::contacts::phone::PhoneRules;
use crate::contacts::{bulk, store as contacts};
use crate::locations::store as locations;
use crate::messages::model::{Channel, Content, Kind, Status};
use crate::messages::store::{self as messages, NewMessage};
use anyhow::bail;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rusqlite::Connection;
use serde_json::{Value, json};

const FIRST: &[&str] = &[
    "Asha", "Rahul", "Priya", "Arjun", "Meera", "Vikram", "Ananya", "Rohan", "Kavya", "Aditya",
    "Sara", "Omar", "Lena", "Diego", "Mei", "Tomás", "Amara", "Noah", "Fatima", "Lucas",
];
const LAST: &[&str] = &[
    "Rao", "Sharma", "Iyer", "Patel", "Nair", "Gupta", "Reddy", "Singh", "Das", "Menon", "Khan",
    "Silva", "Okafor", "Müller", "Chen", "García", "Haddad", "Kowalski", "Tanaka", "Smith",
];
const TAGS: &[&str] = &[
    "vip",
    "newsletter",
    "wholesale",
    "returning",
    "first-order",
    "diwali-2026",
    "feedback",
    "loyalty",
    "abandoned-cart",
    "referral",
    "b2b",
    "sample-request",
];
const CITIES: &[&str] = &[
    "Pune",
    "Mumbai",
    "Bengaluru",
    "Chennai",
    "Delhi",
    "Hyderabad",
    "Kochi",
    "Jaipur",
];
const STAGES: &[&str] = &["Lead", "Subscriber", "Customer", "Churned"];
const GENDERS: &[&str] = &["Male", "Female", "Other"];
const PLANS: &[&str] = &["free", "pro", "team"];
const LOCATIONS: &[&str] = &[
    "Pune store",
    "Mumbai store",
    "Bengaluru store",
    "Online",
    "Warehouse",
];
const BATCH: usize = 5_000;

/// The `i`th demo person, as a create body would carry them.
pub fn person(rng: &mut StdRng, i: u64, locations: &[i64]) -> Value {
    let first = FIRST.choose(rng).expect("not empty");
    let last = LAST.choose(rng).expect("not empty");
    let how_many = rng.random_range(1..=3);
    let tags: Vec<&str> = TAGS.sample(rng, how_many).copied().collect();
    let year = rng.random_range(1955..=2007);
    let mut body = json!({
        "name": format!("{first} {last}"),
        "firstName": first,
        "lastName": last,
        // Indian mobile numbers, distinct by `i` and in no order, as a real export's are:
        // +91 9 then nine digits, i times a number prime to 10^9, modulo 10^9.
        "phoneNumber": format!("+919{:09}", i % 1_000_000_000 * 387_420_489 % 1_000_000_000),
        "email": format!("{}.{}{i}@example.com", ascii(first), ascii(last)),
        "gender": GENDERS.choose(rng),
        "birthDate": format!("{year}-{:02}-{:02}", rng.random_range(1..=12), rng.random_range(1..=28)),
        "contactStage": STAGES.choose(rng),
        "tags": tags,
        "attributes": {
            "city": CITIES.choose(rng),
            "orders": rng.random_range(0..60),
            "member": rng.random_bool(0.4),
            "plan": PLANS.choose(rng),
        },
    });
    if let Some(location) = locations.choose(rng) {
        body["location"] = json!({"id": location});
    }
    if rng.random_bool(0.3) {
        body["channelIds"] = json!({"telegram": format!("{}", 700_000_000 + i)});
    }
    body
}

/// Names as an email's local part can spell them.
fn ascii(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'á' => 'a',
            'ü' => 'u',
            'í' | 'ï' => 'i',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            _ => 'x',
        })
        .collect()
}

pub struct Filled {
    pub account_id: i64,
    /// The new account's password, when the demo made the account.
    pub password: Option<String>,
    pub key: Option<String>,
    pub people: usize,
    pub messages: usize,
}

/// Adds `count` people (and their locations and some message history) to the account of
/// `email`, creating it, with a printed password and a key, when it is new.
pub fn fill(conn: &Connection, email: &str, count: u64, seed: u64) -> anyhow::Result<Filled> {
    let now = clock::now();
    let email = Email::parse(email)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let (account_id, password, key) = match accounts::find_account_by_email(conn, email.as_str())? {
        Some((account, _)) => (account.id, None, None),
        None => {
            let secret = random_hex(10);
            let hash = password::hash(&secret)?;
            let account = accounts::create_account(conn, &email, &hash, Plan::Unlimited, now)?;
            let key = keys::issue(conn, account.id, Some("demo"), now)?;
            (account.id, Some(secret), Some(key.secret))
        }
    };
    // The demo's locations, made once per account.
    let location_ids = LOCATIONS
        .iter()
        .map(|title| locations::find_or_insert(conn, account_id, title, now))
        .collect::<crate::error::Result<Vec<i64>>>()?;
    let phones = PhoneRules::new(None).map_err(anyhow::Error::msg)?;
    let today = clock::date_of(now);
    let first_id = contacts::last_id(conn)?;
    let offset = first_id as u64; // distinct phones when demo runs twice on one file
    let mut people = 0;
    let mut start = 0;
    while start < count {
        let end = (start + BATCH as u64).min(count);
        let rows = (start..end)
            .map(|i| {
                let input: PersonInput =
                    serde_json::from_value(person(&mut rng, offset + i, &location_ids))?;
                let changes = PersonChanges::parse(input, &phones, today)?;
                Ok(Row {
                    number: i as usize + 2,
                    changes,
                })
            })
            .collect::<anyhow::Result<Vec<Row>>>()?;
        in_transaction(conn, || {
            let outcome = bulk::upsert(conn, account_id, PersonType::Contact, &rows, now)?;
            if let Some(f) = outcome.failed.first() {
                bail!("demo person {}: {}", f.row, f.message);
            }
            Ok(())
        })?;
        people += (end - start) as usize;
        start = end;
    }
    let messages = history(conn, account_id, first_id, &mut rng, now)?;
    Ok(Filled {
        account_id,
        password,
        key,
        people,
        messages,
    })
}

/// Runs `f` in one transaction: a batch is stored whole or not at all.
fn in_transaction(conn: &Connection, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    conn.execute_batch("BEGIN")?;
    match f() {
        Ok(()) => Ok(conn.execute_batch("COMMIT")?),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

/// About one person in ten wrote on WhatsApp in the last 60 days and got an answer.
fn history(
    conn: &Connection,
    account_id: i64,
    after_id: i64,
    rng: &mut StdRng,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let ids = contacts::ids_after(conn, account_id, after_id)?;
    let mut chosen: Vec<(i64, Timestamp)> = Vec::new();
    for id in ids {
        if rng.random_bool(0.1) {
            chosen.push((id, now - rng.random_range(0..60 * SECONDS_PER_DAY)));
        }
    }
    let questions = [
        "Is this in stock?",
        "Where is my order?",
        "Do you deliver on Sunday?",
        "Thanks!",
    ];
    let answers = [
        "Yes, we have it.",
        "It ships today.",
        "We do, until 2 pm.",
        "You're welcome!",
    ];
    for chunk in chosen.chunks(BATCH) {
        in_transaction(conn, || {
            for (n, &(id, at)) in chunk.iter().enumerate() {
                let pick = (id as usize + n) % questions.len();
                for (incoming, text, status, when) in [
                    (true, questions[pick], Status::Received, at),
                    (false, answers[pick], Status::Read, at + 120),
                ] {
                    let message = NewMessage {
                        account_id,
                        contact_id: id,
                        channel: Channel::WhatsApp,
                        incoming,
                        kind: Kind::Text,
                        sent_by: (!incoming).then_some("api"),
                        status,
                        location_id: None,
                        scheduled_at: None,
                        provider_id: None,
                    };
                    let content = Content {
                        text: Some(text.to_string()),
                        ..Content::default()
                    };
                    messages::insert(conn, &message, &content, when)?;
                }
                messages::touch(conn, id, at + 120, true)?;
            }
            Ok(())
        })?;
    }
    Ok(chosen.len() * 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_people_and_all_of_them_are_valid() {
        let phones = PhoneRules::new(None).unwrap();
        let today = time::macros::date!(2026 - 11 - 22);
        let people = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..500)
                .map(|i| person(&mut rng, i, &[1, 2]))
                .collect::<Vec<_>>()
        };
        let first = people(7);
        assert_eq!(first, people(7));
        assert_ne!(first, people(8));
        for p in &first {
            let input: PersonInput = serde_json::from_value(p.clone()).unwrap();
            PersonChanges::parse(input, &phones, today)
                .unwrap_or_else(|e| panic!("{p}: {}", e.message));
        }
        let phones: std::collections::HashSet<_> =
            first.iter().map(|p| p["phoneNumber"].clone()).collect();
        assert_eq!(phones.len(), 500, "phones are distinct");
    }
}
