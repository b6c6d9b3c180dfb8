//! Segmenter's dialect (seed 003): a segment sent with its persons. Persons become contact
//! changes (`externalId`, then phone, identifies them; `substitutionTags` become attributes;
//! `TagId` a tag); non-empty `filters` make the segment a rule instead of a list. Answers
//! are rendered back in Segmenter's shapes. Pure: no SQL, no HTTP.

use crate::contacts::model::{Person, PersonChanges, PersonInput, attribute_name};
use crate::contacts::phone::PhoneRules;
use crate::error::Error;
use crate::segments::model::{GroupsSent, SegmentBody, check_member_count};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use time::Date;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmenterBody {
    pub name: Option<String>,
    description: Option<String>,
    broadcast_medium_id: Option<Value>,
    segment_type: Option<Value>,
    #[serde(rename = "TagId", alias = "tagId")]
    tag_id: Option<Value>,
    filters: Option<Value>,
    persons: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersonBody {
    external_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    phone_number: Option<String>,
    email: Option<String>,
    #[serde(default)]
    substitution_tags: Vec<SubstitutionTag>,
}

#[derive(Debug, Deserialize)]
struct SubstitutionTag {
    tag: String,
    value: Value,
}

/// What a Segmenter body asks for, in core terms.
#[derive(Debug)]
pub struct Asked {
    /// Each person as a contact change, in order.
    pub people: Vec<PersonChanges>,
    /// The persons replace the members (a body without `persons` leaves them).
    pub replaces_members: bool,
    /// The segment, its members aside (the stored persons' ids, known once upserted).
    pub segment: SegmentBody,
    /// Segmenter's own fields, kept and echoed.
    pub extra: Value,
}

impl SegmenterBody {
    /// Checks every person (`400` naming `persons[i]`) and maps the body onto the core.
    pub fn to_core(self, phones: &PhoneRules, today: Date) -> Result<Asked, Error> {
        let persons = self.persons.clone().unwrap_or_default();
        check_member_count(persons.len(), "persons")?;
        let tag = tag_name(&self.tag_id)?;
        let people = persons
            .into_iter()
            .enumerate()
            .map(|(i, p)| person_changes(i, p, tag.as_deref(), phones, today))
            .collect::<Result<Vec<_>, _>>()?;
        let groups = filter_groups(&self.filters)?;
        let extra = json!({"broadcastMediumId": self.broadcast_medium_id,
                           "segmentType": self.segment_type, "TagId": self.tag_id});
        Ok(Asked {
            people,
            replaces_members: self.persons.is_some() && groups.is_none(),
            segment: SegmentBody {
                name: self.name,
                description: self.description,
                groups,
                ..SegmentBody::default()
            },
            extra,
        })
    }
}

/// A person as a contact change: fields, substitution tags as attributes, `TagId` as a tag.
fn person_changes(
    i: usize,
    raw: Value,
    tag: Option<&str>,
    phones: &PhoneRules,
    today: Date,
) -> Result<PersonChanges, Error> {
    let here = format!("persons[{i}]");
    let p: PersonBody =
        serde_json::from_value(raw).map_err(|e| Error::invalid(format!("{here}: {e}")))?;
    let mut attributes = Map::new();
    for (j, sub) in p.substitution_tags.into_iter().enumerate() {
        let name = attribute_name(&sub.tag).map_err(|e| {
            Error::invalid(format!("{here}.substitutionTags[{j}].tag: {}", e.message))
        })?;
        attributes.insert(name, sub.value);
    }
    let some = |v: Option<String>| v.map(Some);
    let input = PersonInput {
        external_id: some(p.external_id),
        first_name: some(p.first_name),
        last_name: some(p.last_name),
        phone_number: some(p.phone_number.or(p.phone)),
        email: some(p.email),
        tags: tag.map(|t| vec![t.to_string()]),
        attributes: (!attributes.is_empty()).then_some(attributes),
        ..PersonInput::default()
    };
    let changes = PersonChanges::parse(input, phones, today).map_err(|e| e.within(&here))?;
    if !changes.identifies_someone() {
        return Err(Error::invalid(format!(
            "{here}: needs at least one of externalId, firstName, phone, phoneNumber or email"
        )));
    }
    Ok(changes)
}

fn tag_name(tag: &Option<Value>) -> Result<Option<String>, Error> {
    match tag {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Error::invalid("TagId: expected a string")),
    }
}

/// `filters` as rule groups: a list of conditions (ANDed), or a list of groups.
fn filter_groups(filters: &Option<Value>) -> Result<Option<Value>, Error> {
    match filters {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) if items.iter().all(|i| i.get("conditions").is_some()) => {
            Ok(Some(Value::Array(items.clone())))
        }
        Some(Value::Array(items)) => Ok(Some(json!([{"conditions": items}]))),
        Some(_) => Err(Error::invalid("filters: expected an array of conditions")),
    }
}

/// A person as Segmenter's answers show it: the seed's `id`, `externalId` and `email`,
/// then the rest of what it sent.
pub fn person(p: &Person) -> Value {
    let tags: Vec<Value> = p
        .attributes
        .iter()
        .map(|(k, v)| json!({"tag": k, "value": v}))
        .collect();
    json!({"id": p.id, "externalId": p.external_id, "email": p.email, "firstName": p.first_name,
           "lastName": p.last_name, "phoneNumber": p.phone_number, "substitutionTags": tags})
}

/// The answer to a `POST` or `PUT`: the segment's id and its persons.
pub fn saved(id: i64, persons: &[Person]) -> Value {
    let persons: Vec<Value> = persons.iter().map(person).collect();
    json!({"data": {"id": id.to_string(), "persons": persons}, "errorMessage": ""})
}

/// A stored segment as Segmenter's `GET` shows it, with `count` members and the first of
/// them.
pub struct Shown<'a> {
    pub id: i64,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub extra: Option<&'a Value>,
    pub rule: Option<&'a GroupsSent>,
    pub count: i64,
    pub members: &'a [Person],
}

pub fn shown(s: Shown) -> Value {
    let extra = s.extra.cloned().unwrap_or(Value::Null);
    json!({"data": {
        "id": s.id.to_string(),
        "name": s.name,
        "description": s.description,
        "broadcastMediumId": extra["broadcastMediumId"],
        "segmentType": extra["segmentType"],
        "TagId": extra["TagId"],
        "filters": s.rule.map_or(json!([]), |r| r.groups.clone()),
        "memberCount": s.count,
        "persons": s.members.iter().map(person).collect::<Vec<_>>(),
    }, "errorMessage": ""})
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn asked(body: Value) -> Result<Asked, Error> {
        let phones = PhoneRules::new(None).unwrap();
        serde_json::from_value::<SegmenterBody>(body)
            .unwrap()
            .to_core(&phones, date!(2026 - 11 - 22))
    }

    #[test]
    fn persons_become_contact_changes_and_filters_a_rule() {
        let a = asked(json!({"name": "s", "TagId": 7, "persons": [
            {"externalId": "e1", "substitutionTags": [{"tag": "City", "value": "Pune"}]}]}))
        .unwrap();
        assert_eq!(a.people.len(), 1);
        assert!(a.replaces_members && a.segment.groups.is_none());
        let filtered = asked(json!({"name": "s", "persons": [], "filters": [
            {"attribute": "city", "operator": "==", "value": "Pune"}]}))
        .unwrap();
        assert!(!filtered.replaces_members);
        assert_eq!(
            filtered.segment.groups.unwrap()[0]["conditions"][0]["attribute"],
            "city"
        );
        for (body, message) in [
            (
                json!({"name": "s", "persons": [{}]}),
                "persons[0]: needs at least one",
            ),
            (
                json!({"name": "s", "persons": [{"email": "nope"}]}),
                "persons[0].email:",
            ),
            (
                json!({"name": "s", "persons": [{"externalId": "x", "substitutionTags": [{"tag": "email", "value": 1}]}]}),
                "persons[0].substitutionTags[0].tag: ",
            ),
            (
                json!({"name": "s", "TagId": {}}),
                "TagId: expected a string",
            ),
            (json!({"name": "s", "filters": 5}), "filters: expected"),
        ] {
            let err = asked(body).unwrap_err();
            assert!(err.message.starts_with(message), "{}", err.message);
        }
    }
}
