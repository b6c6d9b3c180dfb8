//! A person as its row holds it, borrowed from SQLite's column buffers. `GET` of one person
//! serialises it straight into the answer; the owned [`Person`] the other answers use is
//! made from it ([`PersonView::to_person`]), and both serialise to the same JSON. Building
//! the owned person (a `String` per field, a map per attribute set, the tag array parsed
//! into owned strings) and dropping it was an eighth of a point lookup's instructions.
//!
//! [`PersonView::write_json`] writes the member names as the literals they are and leaves
//! every value, and every attribute name, to serde_json: serde escaping the twenty fixed
//! names again on every read was half of the escaping a read did.

use super::model::{AttrKind, Person};
use super::names::Names;
use crate::clock;
use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// Column positions in a row of `store::person_columns`.
const TAGS_COLUMN: usize = 20;
const FIRST_SLOT_COLUMN: usize = TAGS_COLUMN + 1;

#[derive(Debug)]
pub struct PersonView<'a> {
    id: i64,
    kind: &'static str,
    name: Option<&'a str>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    phone_number: Option<&'a str>,
    email: Option<&'a str>,
    external_id: Option<&'a str>,
    gender: Option<&'a str>,
    birth_date: Option<&'a str>,
    contact_stage: Option<&'a str>,
    channel: Option<&'a str>,
    channel_ids: ChannelIds<'a>,
    location: Option<Location>,
    /// `tag_names`: sorted when written.
    tags: &'a RawValue,
    attributes: Attributes<'a>,
    opted_out: bool,
    last_activity_at: Option<String>,
    created_at: String,
    updated_at: String,
}

/// In key order, as `Person`'s map writes them.
#[derive(Debug)]
struct ChannelIds<'a> {
    instagram: Option<&'a str>,
    messenger: Option<&'a str>,
    telegram: Option<&'a str>,
}

#[derive(Debug)]
struct Location {
    id: i64,
}

/// The row's attribute values in name order, unset ones left out.
#[derive(Debug)]
struct Attributes<'a>(Vec<(&'a str, Attr<'a>)>);

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Attr<'a> {
    Text(Cow<'a, str>),
    Int(i64),
    Real(f64),
    Bool(bool),
}

impl<'a> PersonView<'a> {
    /// The person in `row`; `None` when the account has names that `names` lacks (they are
    /// behind: see `names::AttributeNames`).
    pub fn read(row: &'a Row, names: &'a Names) -> rusqlite::Result<Option<Self>> {
        // Names are append-only, so as many names as the reader knows means the same names.
        if row.get::<_, i64>(FIRST_SLOT_COLUMN + names.last_slot())? != names.keys.len() as i64 {
            return Ok(None);
        }
        let text = |i: usize| {
            let value = row.get_ref(i)?;
            value.as_str_or_null().map_err(|e| unreadable(i, e.into()))
        };
        let time = |i: usize| row.get::<_, Option<i64>>(i).map(|t| t.map(clock::rfc3339));
        let mut attributes = Vec::with_capacity(names.keys.len());
        for key in &names.keys {
            let value = row.get_ref(FIRST_SLOT_COLUMN + key.slot - 1)?;
            if let Some(value) = Attr::of(value, key.kind) {
                attributes.push((key.name.as_str(), value));
            }
        }
        Ok(Some(PersonView {
            id: row.get(0)?,
            kind: if row.get::<_, i64>(1)? == 1 {
                "client"
            } else {
                "contact"
            },
            name: text(2)?,
            first_name: text(3)?,
            last_name: text(4)?,
            phone_number: text(5)?,
            email: text(6)?,
            external_id: text(7)?,
            gender: text(8)?,
            birth_date: text(9)?,
            contact_stage: text(10)?,
            channel: text(11)?,
            channel_ids: ChannelIds {
                telegram: text(12)?,
                instagram: text(13)?,
                messenger: text(14)?,
            },
            location: row.get::<_, Option<i64>>(15)?.map(|id| Location { id }),
            tags: json(row, TAGS_COLUMN)?,
            attributes: Attributes(attributes),
            opted_out: row.get(16)?,
            last_activity_at: time(17)?,
            created_at: time(18)?.unwrap_or_default(),
            updated_at: time(19)?.unwrap_or_default(),
        }))
    }

    /// The person's JSON, as `Person` serialises: members in the same order, ids as
    /// strings (docs/api.md), unset channel ids and attributes left out.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let mut person = Object::start(out);
        person.id("id", self.id)?;
        person.member("type", &self.kind)?;
        person.member("name", &self.name)?;
        person.member("firstName", &self.first_name)?;
        person.member("lastName", &self.last_name)?;
        person.member("phoneNumber", &self.phone_number)?;
        person.member("email", &self.email)?;
        person.member("externalId", &self.external_id)?;
        person.member("gender", &self.gender)?;
        person.member("birthDate", &self.birth_date)?;
        person.member("contactStage", &self.contact_stage)?;
        person.member("channel", &self.channel)?;
        person.name("channelIds");
        let mut ids = Object::start(person.out);
        for (channel, id) in [
            ("instagram", self.channel_ids.instagram),
            ("messenger", self.channel_ids.messenger),
            ("telegram", self.channel_ids.telegram),
        ] {
            if let Some(id) = id {
                ids.member(channel, &id)?;
            }
        }
        ids.end();
        match &self.location {
            Some(location) => {
                person.name("location");
                let mut object = Object::start(person.out);
                object.id("id", location.id)?;
                object.end();
            }
            None => person.member("location", &())?,
        }
        person.name("tags");
        person.out.extend_from_slice(self.tags.get().as_bytes());
        person.name("attributes");
        let mut attributes = Object::start(person.out);
        for (name, value) in &self.attributes.0 {
            attributes.escaped_member(name, value)?;
        }
        attributes.end();
        person.member("optedOut", &self.opted_out)?;
        person.member("lastActivityAt", &self.last_activity_at)?;
        person.member("createdAt", &self.created_at)?;
        person.member("updatedAt", &self.updated_at)?;
        person.end();
        Ok(())
    }

    pub fn to_person(&self) -> rusqlite::Result<Person> {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        let mut channel_ids = Map::new();
        for (channel, id) in [
            ("instagram", self.channel_ids.instagram),
            ("messenger", self.channel_ids.messenger),
            ("telegram", self.channel_ids.telegram),
        ] {
            if let Some(id) = id {
                channel_ids.insert(channel.into(), Value::String(id.into()));
            }
        }
        let tags = serde_json::from_str(self.tags.get());
        Ok(Person {
            id: self.id.to_string(),
            kind: self.kind,
            name: owned(self.name),
            first_name: owned(self.first_name),
            last_name: owned(self.last_name),
            phone_number: owned(self.phone_number),
            email: owned(self.email),
            external_id: owned(self.external_id),
            gender: owned(self.gender),
            birth_date: owned(self.birth_date),
            contact_stage: owned(self.contact_stage),
            channel: owned(self.channel),
            channel_ids,
            location: self
                .location
                .as_ref()
                .map(|l| json!({"id": l.id.to_string()})),
            tags: tags.map_err(|e| unreadable(TAGS_COLUMN, e.into()))?,
            attributes: self.attributes.to_map(),
            opted_out: self.opted_out,
            last_activity_at: self.last_activity_at.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        })
    }
}

/// A column holding JSON text.
fn json<'a>(row: &'a Row, column: usize) -> rusqlite::Result<&'a RawValue> {
    let text = row.get_ref(column)?.as_str()?;
    serde_json::from_str(text).map_err(|e| unreadable(column, e.into()))
}

fn unreadable(column: usize, e: Box<dyn std::error::Error + Send + Sync>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e)
}

impl<'a> Attr<'a> {
    /// The value of a slot holding `kind`; `None` when unset.
    fn of(value: ValueRef<'a>, kind: AttrKind) -> Option<Self> {
        Some(match (value, kind) {
            (ValueRef::Null, _) => return None,
            (ValueRef::Integer(i), AttrKind::Boolean) => Attr::Bool(i != 0),
            (ValueRef::Integer(i), _) => Attr::Int(i),
            (ValueRef::Real(f), _) => Attr::Real(f),
            (ValueRef::Text(t) | ValueRef::Blob(t), _) => Attr::Text(String::from_utf8_lossy(t)),
        })
    }

    fn to_json(&self) -> Value {
        match self {
            Attr::Text(s) => Value::String(s.clone().into_owned()),
            Attr::Int(i) => Value::from(*i),
            Attr::Real(f) => Value::from(*f),
            Attr::Bool(b) => Value::Bool(*b),
        }
    }
}

impl Attributes<'_> {
    fn to_map(&self) -> Map<String, Value> {
        let pairs = self.0.iter();
        pairs.map(|(k, v)| ((*k).to_owned(), v.to_json())).collect()
    }
}

/// A JSON object written member by member into `out`.
struct Object<'w> {
    out: &'w mut Vec<u8>,
    empty: bool,
}

impl<'w> Object<'w> {
    fn start(out: &'w mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, empty: true }
    }

    /// Writes `"name":`; `name` is one of this file's literals, which need no escaping.
    fn name(&mut self, name: &'static str) {
        debug_assert!(!name.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20));
        self.separate();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
    }

    fn member(&mut self, name: &'static str, value: &impl Serialize) -> serde_json::Result<()> {
        self.name(name);
        serde_json::to_writer(&mut *self.out, value)
    }

    /// Ids are strings in answers (docs/api.md); digits need no escaping.
    fn id(&mut self, name: &'static str, id: i64) -> serde_json::Result<()> {
        self.name(name);
        self.out.push(b'"');
        serde_json::to_writer(&mut *self.out, &id)?;
        self.out.push(b'"');
        Ok(())
    }

    /// A member whose name (an attribute's, chosen by the account) is escaped by serde_json.
    fn escaped_member(&mut self, name: &str, value: &impl Serialize) -> serde_json::Result<()> {
        self.separate();
        serde_json::to_writer(&mut *self.out, name)?;
        self.out.push(b':');
        serde_json::to_writer(&mut *self.out, value)
    }

    fn separate(&mut self) {
        if !std::mem::take(&mut self.empty) {
            self.out.push(b',');
        }
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contacts::model::AttrKey;
    use rusqlite::Connection;

    fn key(slot: usize, name: &str, kind: AttrKind) -> AttrKey {
        let name = name.to_owned();
        AttrKey { slot, name, kind }
    }

    /// A row laid out as `store::person_columns` reads one, with every field set.
    const FULL: &str = r#"SELECT 7, 1, 'Asha "A" Rao', 'Asha', 'Rao\', '+919876543210',
        'asha@example.com', 'crm-9', 'Female', '1990-04-02', 'Lead', 'whatsapp',
        '551234', '1784', '2481', 3, 1, 1764547200, 1764460800, 1764547201,
        '["10","a\"b","alpha","Beta","vip","Été"]',
        'Pune', 7, 2.5, 1, 'tab	and
line', NULL, 6"#;

    fn names() -> Names {
        Names::new(vec![
            key(1, "city", AttrKind::String),
            key(2, "orders", AttrKind::Number),
            key(3, "ratio", AttrKind::Number),
            key(4, "member", AttrKind::Boolean),
            key(5, "Note", AttrKind::String),
            key(6, "unset", AttrKind::String),
        ])
    }

    fn both(sql: &str, names: &Names) -> (String, String) {
        let conn = Connection::open_in_memory().unwrap();
        conn.query_row(sql, [], |row| {
            let view = PersonView::read(row, names)?.expect("names are current");
            let mut direct = Vec::new();
            view.write_json(&mut direct).unwrap();
            let direct = String::from_utf8(direct).unwrap();
            Ok((direct, serde_json::to_string(&view.to_person()?).unwrap()))
        })
        .unwrap()
    }

    #[test]
    fn the_view_and_the_owned_person_write_the_same_json() {
        let (direct, owned) = both(FULL, &names());
        assert_eq!(direct, owned);
        let json: Value = serde_json::from_str(&direct).unwrap();
        assert_eq!(json["id"], "7");
        assert_eq!(json["type"], "client");
        assert_eq!(json["name"], r#"Asha "A" Rao"#);
        assert_eq!(json["lastName"], r"Rao\");
        assert_eq!(
            json["channelIds"],
            json!({"instagram": "1784", "messenger": "2481", "telegram": "551234"})
        );
        assert_eq!(json["location"], json!({"id": "3"}));
        assert_eq!(
            json["attributes"],
            json!({"city": "Pune", "orders": 7, "ratio": 2.5, "member": true,
                   "Note": "tab\tand\nline"})
        );
        assert_eq!(json["optedOut"], true);
        assert_eq!(
            json["tags"],
            json!(["10", "a\"b", "alpha", "Beta", "vip", "Été"])
        );
        assert_eq!(json["lastActivityAt"], "2025-12-01T00:00:00Z");
    }

    #[test]
    fn an_empty_person_writes_nulls_and_empty_sets() {
        let sql = "SELECT 1, 0, NULL, NULL, NULL, '+15550100', NULL, NULL, NULL, NULL, NULL, \
                   NULL, NULL, NULL, NULL, NULL, 0, NULL, 0, 0, '[]', 0";
        let (direct, owned) = both(sql, &Names::default());
        assert_eq!(direct, owned);
        assert!(direct.contains(r#""channelIds":{},"location":null,"tags":[],"attributes":{}"#));
    }

    #[test]
    fn some_channel_ids_no_location_and_a_quoted_attribute_name_write_the_same() {
        let sql = r#"SELECT 2, 0, 'Ravi', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, '551234', NULL, '2481', NULL, 0, NULL, 5, 6, '[]', 'x', 1"#;
        let names = Names::new(vec![key(1, r#"say "hi"\"#, AttrKind::String)]);
        let (direct, owned) = both(sql, &names);
        assert_eq!(direct, owned);
        let json: Value = serde_json::from_str(&direct).unwrap();
        assert_eq!(
            json["channelIds"],
            json!({"messenger": "2481", "telegram": "551234"})
        );
        assert_eq!(json["location"], Value::Null);
        assert_eq!(json["attributes"], json!({r#"say "hi"\"#: "x"}));
    }

    #[test]
    fn names_behind_the_row_read_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        let behind = Names::new(vec![
            key(1, "city", AttrKind::String),
            key(6, "unset", AttrKind::String),
        ]);
        let read = conn.query_row(
            FULL,
            [],
            |row| Ok(PersonView::read(row, &behind)?.is_none()),
        );
        assert!(read.unwrap());
    }
}
