//! Contacts and clients (docs/api.md#contacts-clients-tags-locations): the request body,
//! its validation into typed changes, and the person as answers show it. No SQL, no HTTP.

use super::phone::PhoneRules;
use crate::error::Error;
use crate::fields::{Patch, Ref, patch, patch_text, text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::Date;
use time::macros::format_description;

/// Whautomate's two kinds of person, served from one store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonType {
    Contact,
    Client,
}

impl PersonType {
    pub fn code(self) -> i64 {
        match self {
            PersonType::Contact => 0,
            PersonType::Client => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PersonType::Contact => "contact",
            PersonType::Client => "client",
        }
    }

    pub fn from_code(code: i64) -> PersonType {
        if code == PersonType::Client.code() {
            PersonType::Client
        } else {
            PersonType::Contact
        }
    }
}

// Documented bounds (docs/api.md, "Limits").
pub const MAX_NAME: usize = 200;
pub const MAX_EMAIL: usize = 254;
pub const MAX_EXTERNAL_ID: usize = 200;
pub const MAX_STAGE: usize = 100;
pub const MAX_CHANNEL_ID: usize = 100;
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG: usize = 100;
pub const MAX_ATTRIBUTE_NAME: usize = 64;
pub const MAX_ATTRIBUTE_TEXT: usize = 1000;
/// Distinct custom attribute names per account (each has a column slot; see `store`).
pub const MAX_ATTRIBUTES: usize = 64;

/// Names rules and answers use for built-in fields: custom attributes may not take them.
pub const BUILT_IN_FIELDS: &[&str] = &[
    "id",
    "type",
    "name",
    "firstName",
    "lastName",
    "phoneNumber",
    "phone",
    "email",
    "externalId",
    "gender",
    "birthDate",
    "age",
    "contactStage",
    "channel",
    "channelIds",
    "location",
    "locationId",
    "tags",
    "attributes",
    "optedOut",
    "lastActivityAt",
    "createdAt",
    "updatedAt",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Gender {
    Male,
    Female,
    Other,
}

impl Gender {
    pub fn parse(s: &str) -> Option<Gender> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" => Some(Gender::Male),
            "female" => Some(Gender::Female),
            "other" => Some(Gender::Other),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "Male",
            Gender::Female => "Female",
            Gender::Other => "Other",
        }
    }
}

pub const CHANNELS: [&str; 4] = ["whatsapp", "telegram", "instagram", "messenger"];

/// A custom attribute's value: strings, numbers and booleans only.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Text(String),
    Int(i64),
    Real(f64),
    Bool(bool),
}

/// The type an attribute name holds in an account, fixed by its first value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    String,
    Number,
    Boolean,
}

impl AttrKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrKind::String => "string",
            AttrKind::Number => "number",
            AttrKind::Boolean => "boolean",
        }
    }

    pub fn parse(s: &str) -> Option<AttrKind> {
        match s {
            "string" => Some(AttrKind::String),
            "number" => Some(AttrKind::Number),
            "boolean" => Some(AttrKind::Boolean),
            _ => None,
        }
    }
}

/// One custom attribute name of an account: the value column (`a{slot}`) it owns and the
/// kind of value it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrKey {
    pub slot: usize,
    pub name: String,
    pub kind: AttrKind,
}

impl AttrValue {
    pub fn kind(&self) -> AttrKind {
        match self {
            AttrValue::Text(_) => AttrKind::String,
            AttrValue::Int(_) | AttrValue::Real(_) => AttrKind::Number,
            AttrValue::Bool(_) => AttrKind::Boolean,
        }
    }

    fn from_json(field: &str, value: Value) -> Result<Option<AttrValue>, Error> {
        Ok(Some(match value {
            Value::Null => return Ok(None),
            Value::Bool(b) => AttrValue::Bool(b),
            Value::String(s) => {
                if s.chars().count() > MAX_ATTRIBUTE_TEXT {
                    return Err(Error::invalid(format!(
                        "{field}: must be at most {MAX_ATTRIBUTE_TEXT} characters"
                    )));
                }
                AttrValue::Text(s)
            }
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => AttrValue::Int(i),
                (None, Some(f)) if f.is_finite() => AttrValue::Real(f),
                _ => {
                    return Err(Error::invalid(format!("{field}: number out of range")));
                }
            },
            Value::Array(_) | Value::Object(_) => {
                return Err(Error::invalid(format!(
                    "{field}: attribute values must be strings, numbers or booleans"
                )));
            }
        }))
    }

    pub fn to_json(&self) -> Value {
        match self {
            AttrValue::Text(s) => Value::String(s.clone()),
            AttrValue::Int(i) => Value::from(*i),
            AttrValue::Real(f) => Value::from(*f),
            AttrValue::Bool(b) => Value::Bool(*b),
        }
    }
}

/// Checks a custom attribute's name: bounded, printable, not a built-in field's.
pub fn attribute_name(raw: &str) -> Result<String, Error> {
    let name = text("attributes", raw, MAX_ATTRIBUTE_NAME).map_err(|e| {
        Error::invalid(format!(
            "attributes: name {raw:?} {}",
            e.message.trim_start_matches("attributes: ")
        ))
    })?;
    if BUILT_IN_FIELDS
        .iter()
        .any(|b| b.eq_ignore_ascii_case(&name))
    {
        return Err(Error::invalid(format!(
            "attributes.{name}: is a built-in field; set it as a field, or choose another name"
        )));
    }
    Ok(name)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelIdsInput {
    #[serde(default, deserialize_with = "patch")]
    pub telegram: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub instagram: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub messenger: Patch<String>,
}

/// A create or update body. Unknown fields (`id`, `createdAt`, …) are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonInput {
    #[serde(default, deserialize_with = "patch")]
    pub name: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub first_name: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub last_name: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub phone_number: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub email: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub external_id: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub gender: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub birth_date: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub contact_stage: Patch<String>,
    #[serde(default, deserialize_with = "patch")]
    pub channel: Patch<String>,
    #[serde(default)]
    pub channel_ids: Option<ChannelIdsInput>,
    #[serde(default, deserialize_with = "patch")]
    pub location: Patch<Ref>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub attributes: Option<Map<String, Value>>,
    #[serde(default)]
    pub opted_out: Option<bool>,
}

/// Validated changes to a person: every `Some` is a column to write.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PersonChanges {
    pub name: Patch<String>,
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub phone: Patch<String>,
    pub email: Patch<String>,
    pub external_id: Patch<String>,
    pub gender: Patch<Gender>,
    pub birth_date: Patch<String>,
    pub contact_stage: Patch<String>,
    pub channel: Patch<String>,
    pub telegram_id: Patch<String>,
    pub instagram_id: Patch<String>,
    pub messenger_id: Patch<String>,
    pub location_id: Patch<i64>,
    /// Replaces the tags when present.
    pub tags: Option<Vec<String>>,
    /// Merged: `None` removes the attribute.
    pub attributes: Vec<(String, Option<AttrValue>)>,
    pub opted_out: Option<bool>,
}

impl PersonChanges {
    pub fn parse(
        input: PersonInput,
        phones: &PhoneRules,
        today: Date,
    ) -> Result<PersonChanges, Error> {
        let channel_ids = input.channel_ids.unwrap_or_default();
        let mut changes = PersonChanges {
            name: patch_text("name", input.name, MAX_NAME)?,
            first_name: patch_text("firstName", input.first_name, MAX_NAME)?,
            last_name: patch_text("lastName", input.last_name, MAX_NAME)?,
            phone: map_patch(input.phone_number, |p| {
                phones
                    .normalize(&p)
                    .map_err(|e| Error::invalid(format!("phoneNumber: {e}")))
            })?,
            email: map_patch(input.email, |e| email(&e))?,
            external_id: patch_text("externalId", input.external_id, MAX_EXTERNAL_ID)?,
            gender: map_patch(input.gender, |g| {
                Gender::parse(&g)
                    .ok_or_else(|| Error::invalid("gender: expected Male, Female or Other"))
            })?,
            birth_date: map_patch(input.birth_date, |d| birth_date(&d, today))?,
            contact_stage: patch_text("contactStage", input.contact_stage, MAX_STAGE)?,
            channel: map_patch(input.channel, |c| channel("channel", &c))?,
            telegram_id: patch_text("channelIds.telegram", channel_ids.telegram, MAX_CHANNEL_ID)?,
            instagram_id: patch_text(
                "channelIds.instagram",
                channel_ids.instagram,
                MAX_CHANNEL_ID,
            )?,
            messenger_id: patch_text(
                "channelIds.messenger",
                channel_ids.messenger,
                MAX_CHANNEL_ID,
            )?,
            location_id: input.location.map(|l| l.map(|r| r.id.0)),
            tags: input.tags.map(|t| tags(&t)).transpose()?,
            attributes: Vec::new(),
            opted_out: input.opted_out,
        };
        if let Some(attributes) = input.attributes {
            for (raw, value) in attributes {
                let name = attribute_name(&raw)?;
                let value = AttrValue::from_json(&format!("attributes.{name}"), value)?;
                changes.attributes.push((name, value));
            }
        }
        // A person given only first and last names is called by them.
        if changes.name.is_none()
            && let (Some(Some(first)), last) = (&changes.first_name, &changes.last_name)
        {
            let full = match last {
                Some(Some(last)) => format!("{first} {last}"),
                _ => first.clone(),
            };
            changes.name = Some(Some(full));
        }
        Ok(changes)
    }

    /// A new person must be findable by something.
    pub fn identifies_someone(&self) -> bool {
        let set = |p: &Patch<String>| matches!(p, Some(Some(_)));
        set(&self.name)
            || set(&self.phone)
            || set(&self.email)
            || set(&self.external_id)
            || set(&self.telegram_id)
            || set(&self.instagram_id)
            || set(&self.messenger_id)
    }
}

fn map_patch<T>(
    value: Patch<String>,
    f: impl FnOnce(String) -> Result<T, Error>,
) -> Result<Patch<T>, Error> {
    value.map(|v| v.map(f).transpose()).transpose()
}

pub fn email(raw: &str) -> Result<String, Error> {
    let email = raw.trim();
    if email.chars().count() > MAX_EMAIL {
        return Err(Error::invalid(format!(
            "email: must be at most {MAX_EMAIL} characters"
        )));
    }
    if !email_address::EmailAddress::is_valid(email) {
        return Err(Error::invalid(format!(
            "email: {email:?} is not a valid email address"
        )));
    }
    Ok(email.to_string())
}

pub fn channel(field: &str, raw: &str) -> Result<String, Error> {
    let c = raw.trim().to_ascii_lowercase();
    CHANNELS
        .contains(&c.as_str())
        .then_some(c)
        .ok_or_else(|| Error::invalid(format!("{field}: expected one of {}", CHANNELS.join(", "))))
}

/// `YYYY-MM-DD`, a real calendar date, not in the future nor before 1900.
pub fn birth_date(raw: &str, today: Date) -> Result<String, Error> {
    let date =
        Date::parse(raw.trim(), format_description!("[year]-[month]-[day]")).map_err(|_| {
            Error::invalid(format!(
                "birthDate: {raw:?} is not a date of the form YYYY-MM-DD"
            ))
        })?;
    if date > today || date.year() < 1900 {
        return Err(Error::invalid(
            "birthDate: must be between 1900-01-01 and today",
        ));
    }
    Ok(date.to_string())
}

/// Bounds count and length, trims, and drops duplicates (case-insensitively, first
/// spelling kept). The count is of the list as sent, as the API description states it.
pub fn tags(raw: &[String]) -> Result<Vec<String>, Error> {
    if raw.len() > MAX_TAGS {
        return Err(Error::invalid(format!(
            "tags: at most {MAX_TAGS} tags per contact"
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, tag) in raw.iter().enumerate() {
        let tag = text(&format!("tags[{i}]"), tag, MAX_TAG)?;
        if !out.iter().any(|t| t.eq_ignore_ascii_case(&tag)) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// A person as answers show it.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub contact_stage: Option<String>,
    pub channel: Option<String>,
    pub channel_ids: Map<String, Value>,
    pub location: Option<Value>,
    pub tags: Vec<String>,
    pub attributes: Map<String, Value>,
    pub opted_out: bool,
    pub last_activity_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 22);

    fn parse(json: &str) -> Result<PersonChanges, String> {
        let input: PersonInput = serde_json::from_str(json).map_err(|e| e.to_string())?;
        PersonChanges::parse(input, &PhoneRules::new(Some("IN")).unwrap(), TODAY)
            .map_err(|e| e.message)
    }

    #[test]
    fn the_contract_example_parses() {
        let c = parse(
            r#"{"name": "Asha Rao", "firstName": "Asha", "lastName": "Rao", "phoneNumber": "+91 98765 43210",
                "email": "asha@example.com", "externalId": "crm-981", "gender": "female", "birthDate": "1990-04-02",
                "contactStage": "Subscriber", "channel": "WhatsApp",
                "channelIds": {"telegram": "551234", "instagram": "17841400", "messenger": "2481"},
                "location": {"id": "3"}, "tags": ["vip", "newsletter", "VIP"],
                "attributes": {"country": "India", "orders": 7, "member": true, "ratio": 0.5, "gone": null},
                "optedOut": false, "id": "ignored", "createdAt": "ignored"}"#,
        )
        .unwrap();
        assert_eq!(c.phone, Some(Some("+919876543210".into())));
        assert_eq!(c.gender, Some(Some(Gender::Female)));
        assert_eq!(c.channel, Some(Some("whatsapp".into())));
        assert_eq!(c.location_id, Some(Some(3)));
        assert_eq!(c.tags, Some(vec!["vip".into(), "newsletter".into()]));
        assert_eq!(c.telegram_id, Some(Some("551234".into())));
        assert!(
            c.attributes
                .contains(&("orders".into(), Some(AttrValue::Int(7))))
        );
        assert!(
            c.attributes
                .contains(&("member".into(), Some(AttrValue::Bool(true))))
        );
        assert!(
            c.attributes
                .contains(&("ratio".into(), Some(AttrValue::Real(0.5))))
        );
        assert!(c.attributes.contains(&("gone".into(), None)));
    }

    #[test]
    fn absent_null_and_set_stay_distinct() {
        let c = parse(r#"{"email": null, "lastName": "Rao"}"#).unwrap();
        assert_eq!(c.email, Some(None));
        assert_eq!(c.phone, None);
        assert_eq!(c.name, None, "no first name: no derived name");
        let c = parse(r#"{"firstName": "Asha", "lastName": "Rao"}"#).unwrap();
        assert_eq!(c.name, Some(Some("Asha Rao".into())));
    }

    #[test]
    fn every_field_names_itself_when_wrong() {
        let cases = [
            (r#"{"phoneNumber": "12"}"#, "phoneNumber:"),
            (r#"{"phoneNumber": "+999 12345"}"#, "phoneNumber:"),
            (r#"{"email": "nope"}"#, "email:"),
            (
                r#"{"gender": "robot"}"#,
                "gender: expected Male, Female or Other",
            ),
            (r#"{"birthDate": "1990-02-30"}"#, "birthDate:"),
            (
                r#"{"birthDate": "2030-01-01"}"#,
                "birthDate: must be between",
            ),
            (r#"{"channel": "fax"}"#, "channel: expected one of"),
            (r#"{"name": ""}"#, "name: must not be empty"),
            (r#"{"externalId": "   "}"#, "externalId: must not be empty"),
            (r#"{"tags": ["ok", ""]}"#, "tags[1]: must not be empty"),
            (
                r#"{"attributes": {"a": [1]}}"#,
                "attributes.a: attribute values must be",
            ),
            (r#"{"attributes": {"a": {"b": 1}}}"#, "attributes.a:"),
            (
                r#"{"attributes": {"Email": "x"}}"#,
                "attributes.Email: is a built-in field",
            ),
            (r#"{"attributes": {"": "x"}}"#, "attributes: name"),
            (
                r#"{"channelIds": {"telegram": ""}}"#,
                "channelIds.telegram:",
            ),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.starts_with(expected), "{json}: {err}");
        }
        let long = format!(r#"{{"name": "{}"}}"#, "x".repeat(MAX_NAME + 1));
        assert!(
            parse(&long)
                .unwrap_err()
                .starts_with("name: must be at most")
        );
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect();
        let json = serde_json::json!({"tags": many}).to_string();
        assert!(parse(&json).unwrap_err().starts_with("tags: at most"));
        let big = serde_json::json!({"attributes": {"a": "x".repeat(MAX_ATTRIBUTE_TEXT + 1)}})
            .to_string();
        assert!(
            parse(&big)
                .unwrap_err()
                .starts_with("attributes.a: must be at most")
        );
    }

    #[test]
    fn identification() {
        assert!(!parse(r#"{"gender": "Male"}"#).unwrap().identifies_someone());
        assert!(
            parse(r#"{"channelIds": {"messenger": "1"}}"#)
                .unwrap()
                .identifies_someone()
        );
    }
}
