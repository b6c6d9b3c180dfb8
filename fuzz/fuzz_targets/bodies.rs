//! Any bytes as the body of a write route (the first byte chooses which): the JSON layer and
//! the model's checks never panic, and a refusal is always a 4xx naming something, never a
//! 500. The same path every handler takes before it touches the database.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use std::sync::OnceLock;
use switchboard::broadcasts::model::{BroadcastBody, NewBroadcast};
use switchboard::channels::model as channels;
use switchboard::contacts::model::{PersonChanges, PersonInput};
use switchboard::contacts::phone::PhoneRules;
use switchboard::error::{self, Error};
use switchboard::http::json::parse;
use switchboard::messages::body::{Draft, SendBody};
use switchboard::messages::incoming::{Incoming, ReceiveBody};
use switchboard::messages::model::{Channel, Kind};
use switchboard::segments::model::{Definition, SegmentBody};
use switchboard::templates::model::{Template, TemplateBody};

const NOW: i64 = 1_795_341_600;

fn phones() -> &'static PhoneRules {
    static PHONES: OnceLock<PhoneRules> = OnceLock::new();
    PHONES.get_or_init(|| PhoneRules::new(Some("IN")).unwrap())
}

fn checked<T: DeserializeOwned, U>(body: &[u8], model: impl FnOnce(T) -> Result<U, Error>) {
    if let Err(e) = parse::<T>(body).and_then(model) {
        assert_ne!(e.kind, error::Kind::Internal, "{e}");
        assert!(!e.message.is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let channel = Channel::ALL[usize::from(choice >> 4) % 4];
    let kind = [Kind::Text, Kind::Media, Kind::Template][usize::from(choice >> 6) % 3];
    let today = time::macros::date!(2026 - 11 - 22);
    match choice % 7 {
        0 => checked(body, |b: PersonInput| PersonChanges::parse(b, phones(), today)),
        1 => checked(body, |b: SendBody| Draft::parse(channel, kind, b, phones(), NOW)),
        2 => checked(body, |b: ReceiveBody| Incoming::parse(channel, b, phones())),
        3 => checked(body, |b: BroadcastBody| NewBroadcast::parse(b, NOW)),
        4 => checked(body, Definition::parse as fn(SegmentBody) -> _),
        5 => checked(body, Template::parse as fn(TemplateBody) -> _),
        _ => checked(body, |b: serde_json::Map<String, serde_json::Value>| {
            channels::merge(channel, serde_json::Map::new(), b)
        }),
    }
});
