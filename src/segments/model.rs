//! A segment's definition (docs/api.md#segments): the Whautomate body, its `criteria`
//! turned into one ANDed group of rule conditions, `groups` beside or instead of them, or
//! `contactIds` for a static list. Parsed once, here, into a typed [`Membership`]; segments
//! store its canonical form ([`Membership::stored`]) and read it back
//! ([`Membership::from_stored`]). No SQL, no HTTP.

use super::rules::{Condition, Group, Logic, Node, Op, Rule, condition_json};
use crate::contacts::model::{Gender, PersonType};
use crate::error::Error;
use crate::fields::{Id, Ref, text};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

pub const MAX_NAME: usize = 200;
pub const MAX_DESCRIPTION: usize = 2000;
/// Members given at once (`contactIds`, Segmenter's `persons`).
pub const MAX_CONTACT_IDS: usize = 10_000;

/// The ids of a member list sent as `field`, at most [`MAX_CONTACT_IDS`].
pub fn member_ids(ids: &[Id], field: &str) -> Result<Vec<i64>, Error> {
    check_member_count(ids.len(), field)?;
    Ok(ids.iter().map(|id| id.0).collect())
}

/// The ids of a member list sent as CSV: the column `id` (or `contactId`) of each row, as a
/// contacts export or a broadcast's recipients export writes it; at most
/// [`MAX_CONTACT_IDS`].
pub fn member_ids_of_csv(bytes: &[u8]) -> Result<Vec<i64>, Error> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid(format!("body: the CSV's header row does not read: {e}")))?;
    let column = headers
        .iter()
        .position(|h| matches!(h.trim(), "id" | "contactId"))
        .ok_or_else(|| Error::invalid("body: the CSV has no id (or contactId) column"))?;
    let mut ids = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| Error::invalid(format!("body: line {line}: {e}")))?;
        let cell = row.get(column).unwrap_or_default().trim();
        let id = cell
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "body: line {line}: id {cell:?} is not a contact id"
                ))
            })?;
        ids.push(id);
        check_member_count(ids.len(), "body")?;
    }
    Ok(ids)
}

/// `400` naming `field` when it lists more members than one request may.
pub fn check_member_count(n: usize, field: &str) -> Result<(), Error> {
    if n > MAX_CONTACT_IDS {
        return Err(Error::invalid(format!(
            "{field}: at most {MAX_CONTACT_IDS} at once"
        )));
    }
    Ok(())
}

/// Who is in a segment.
#[derive(Debug, Clone, PartialEq)]
pub enum Membership {
    /// A stored list of people.
    Static,
    /// Whoever matches now; `None` matches everyone of the segment's type.
    Dynamic(Option<Rule>),
}

impl Membership {
    /// The canonical text a dynamic segment stores (`None` for a static one): the rule's
    /// canonical form, or no groups at all for "everyone".
    pub fn stored(&self) -> Option<String> {
        match self {
            Membership::Static => None,
            Membership::Dynamic(None) => Some(json!({"groups": []}).to_string()),
            Membership::Dynamic(Some(rule)) => Some(rule.to_json().to_string()),
        }
    }

    /// Reads back what [`Membership::stored`] wrote. Text that no longer reads is an error
    /// naming why, never "everyone".
    pub fn from_stored(dynamic: bool, stored: Option<&str>) -> Result<Membership, String> {
        if !dynamic {
            return Ok(Membership::Static);
        }
        let text = stored.ok_or("its stored rule is missing")?;
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("its stored rule is not JSON ({e})"))?;
        if value["groups"] == json!([]) {
            return Ok(Membership::Dynamic(None));
        }
        Rule::parse(&value["groups"], value.get("groupLogic"), "")
            .map(|rule| Membership::Dynamic(Some(rule)))
            .map_err(|e| format!("its stored rule cannot be read: {}", e.message))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentBody {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub criteria: Option<Value>,
    pub groups: Option<Value>,
    pub group_logic: Option<Value>,
    pub contact_ids: Option<Vec<Id>>,
    pub location: Option<Ref>,
}

/// A checked segment, ready to store.
#[derive(Debug, Clone)]
pub struct Definition {
    pub name: String,
    pub description: Option<String>,
    pub kind: PersonType,
    /// Who is in it, typed: what counts, member lists and fan-outs read.
    pub membership: Membership,
    /// As sent, for answers to echo (the seed's shape) and for a `PUT` to change.
    pub criteria: Option<Value>,
    pub rule: Option<GroupsSent>,
    pub contact_ids: Vec<i64>,
    pub location_id: Option<i64>,
    /// A dialect's own fields, kept and echoed (Segmenter's `broadcastMediumId`, …).
    pub extra: Option<Value>,
}

/// `groups` and `groupLogic` as a client sent them: echoed by answers, merged by a `PUT`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupsSent {
    pub groups: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_logic: Option<Value>,
}

/// A stored segment's fields as last sent: what a `PUT` starts from.
#[derive(Debug, Clone)]
pub struct Sent {
    pub name: String,
    pub description: Option<String>,
    pub kind: PersonType,
    pub criteria: Option<Value>,
    pub rule: Option<GroupsSent>,
    pub location_id: Option<i64>,
    pub extra: Option<Value>,
}

impl Definition {
    pub fn parse(body: SegmentBody) -> Result<Definition, Error> {
        let name = text("name", body.name.as_deref().unwrap_or(""), MAX_NAME)?;
        let description = body
            .description
            .map(|d| text("description", &d, MAX_DESCRIPTION))
            .transpose()?;
        let kind = match body
            .kind
            .as_deref()
            .map(|k| k.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("contact") => PersonType::Contact,
            Some("client") => PersonType::Client,
            Some(_) => return Err(Error::invalid("type: expected contact or client")),
        };
        let rule = body.groups.map(|groups| GroupsSent {
            groups,
            group_logic: body.group_logic.filter(|l| !l.is_null()),
        });
        let contact_ids = member_ids(&body.contact_ids.unwrap_or_default(), "contactIds")?;
        let dynamic = body.criteria.is_some() || rule.is_some();
        if dynamic && !contact_ids.is_empty() {
            return Err(Error::invalid(
                "contactIds: a segment has a rule (criteria, groups) or a member list (contactIds), not both",
            ));
        }
        Ok(Definition {
            name,
            description,
            kind,
            membership: membership(dynamic, body.criteria.as_ref(), rule.as_ref())?,
            criteria: body.criteria,
            rule,
            contact_ids,
            location_id: body.location.map(|l| l.id.0),
            extra: None,
        })
    }

    /// `stored` changed by a `PUT` body: what it sends replaces, what it omits stays.
    /// Sending `criteria` or `groups` makes the segment dynamic; `contactIds`, static.
    pub fn updated(stored: Sent, body: SegmentBody) -> Result<Definition, Error> {
        if let Some(kind) = &body.kind
            && !kind.trim().eq_ignore_ascii_case(stored.kind.as_str())
        {
            return Err(Error::invalid("type: a segment's type cannot be changed"));
        }
        let to_static = body.contact_ids.is_some();
        let to_dynamic = body.criteria.is_some() || body.groups.is_some();
        let (criteria, groups, group_logic) = if to_static && !to_dynamic {
            (None, None, None)
        } else {
            let rule = stored.rule.clone();
            let (groups, logic) = rule.map_or((None, None), |r| (Some(r.groups), r.group_logic));
            (
                body.criteria.or(stored.criteria),
                body.groups.or(groups),
                body.group_logic.or(logic),
            )
        };
        let extra = stored.extra.clone();
        let mut def = Definition::parse(SegmentBody {
            name: Some(body.name.unwrap_or(stored.name)),
            description: body.description.or(stored.description),
            kind: Some(stored.kind.as_str().into()),
            criteria,
            groups,
            group_logic,
            contact_ids: body.contact_ids,
            location: body
                .location
                .or(stored.location_id.map(|id| Ref { id: Id(id) })),
        })?;
        def.extra = extra;
        Ok(def)
    }

    pub fn is_dynamic(&self) -> bool {
        matches!(self.membership, Membership::Dynamic(_))
    }
}

/// Membership from a Whautomate body's criteria and native groups (`{"groups",
/// "groupLogic"}`), as sent; also how segments stored before the canonical form are read.
pub fn membership(
    dynamic: bool,
    criteria: Option<&Value>,
    rule: Option<&GroupsSent>,
) -> Result<Membership, Error> {
    if !dynamic {
        return Ok(Membership::Static);
    }
    let from_criteria = criteria.map(criteria_group).transpose()?.flatten();
    let from_groups = rule
        .map(|r| Rule::parse(&r.groups, r.group_logic.as_ref(), ""))
        .transpose()?;
    Ok(Membership::Dynamic(match (from_criteria, from_groups) {
        (None, None) => None,
        (Some(group), None) => Some(Rule {
            groups: vec![group],
            group_logic: Logic::Or,
        }),
        (None, Some(rule)) => Some(rule),
        (Some(group), Some(rule)) => {
            // Criteria AND (the groups, combined as they say).
            let groups = Group {
                logic: rule.group_logic,
                items: rule.groups.into_iter().map(Node::Group).collect(),
            };
            let both = Group {
                logic: Logic::And,
                items: vec![Node::Group(group), Node::Group(groups)],
            };
            Some(Rule {
                groups: vec![both],
                group_logic: Logic::Or,
            })
        }
    }))
}

/// Whautomate's criteria as one ANDed group; `None` when they set nothing (everyone).
pub fn criteria_group(criteria: &Value) -> Result<Option<Group>, Error> {
    let Value::Object(c) = criteria else {
        return Err(Error::invalid("criteria: expected an object"));
    };
    let mut items = Vec::new();
    let mut add = |attribute: &str, op: Op, value: Value, field: &str| -> Result<(), Error> {
        let native = condition_json(attribute, op, value);
        let condition = Condition::parse(&native, &format!("criteria.{field}"))?;
        items.push(Node::Condition(condition));
        Ok(())
    };
    if let Some(tags) = strings(c, "tags")? {
        add("tags", Op::Has, tags, "tags")?;
    }
    if let Some(tags) = strings(c, "exclusionTags")? {
        add("tags", Op::HasNone, tags, "exclusionTags")?;
    }
    if let Some(gender) = present(c, "gender") {
        let valid = gender.as_str().and_then(Gender::parse);
        let gender = valid
            .ok_or_else(|| Error::invalid("criteria.gender: expected Male, Female or Other"))?;
        add("gender", Op::Eq, json!(gender.as_str()), "gender")?;
    }
    if let Some(days) = whole(c, "numberOfDaysLastActivity", 36_500)? {
        add(
            "lastActivityAt",
            Op::WithinLastDays,
            json!(days),
            "numberOfDaysLastActivity",
        )?;
    }
    let from = whole(c, "ageFrom", 150)?;
    let to = whole(c, "ageTo", 150)?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(Error::invalid("criteria.ageTo: must not be below ageFrom"));
    }
    if let Some(from) = from {
        add("age", Op::Ge, json!(from), "ageFrom")?;
    }
    if let Some(to) = to {
        add("age", Op::Le, json!(to), "ageTo")?;
    }
    if let Some(stage) = present(c, "contactStage") {
        let stage = stage
            .as_str()
            .ok_or_else(|| Error::invalid("criteria.contactStage: expected a string"))?;
        add("contactStage", Op::Eq, json!(stage), "contactStage")?;
    }
    if let Some(locations) = present(c, "primaryLocations") {
        let Value::Array(locations) = locations else {
            return Err(Error::invalid(
                "criteria.primaryLocations: expected an array of {\"id\"}",
            ));
        };
        let ids = locations
            .iter()
            .enumerate()
            .map(|(i, l)| {
                serde_json::from_value::<Ref>(l.clone())
                    .map(|r| json!(r.id.0))
                    .map_err(|_| {
                        Error::invalid(format!("criteria.primaryLocations[{i}].id: expected an id"))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !ids.is_empty() {
            add("locationId", Op::In, Value::Array(ids), "primaryLocations")?;
        }
    }
    Ok((!items.is_empty()).then_some(Group {
        logic: Logic::And,
        items,
    }))
}

fn present<'a>(c: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    c.get(key).filter(|v| !v.is_null() && *v != "")
}

/// A non-empty list of strings, or nothing.
fn strings(c: &Map<String, Value>, key: &str) -> Result<Option<Value>, Error> {
    match present(c, key) {
        None => Ok(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Ok((!items.is_empty()).then(|| Value::Array(items.clone())))
        }
        Some(_) => Err(Error::invalid(format!(
            "criteria.{key}: expected an array of strings"
        ))),
    }
}

fn whole(c: &Map<String, Value>, key: &str, max: i64) -> Result<Option<i64>, Error> {
    match present(c, key) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(n) if (0..=max).contains(&n) => Ok(Some(n)),
            _ => Err(Error::invalid(format!(
                "criteria.{key}: expected a whole number from 0 to {max}"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_ids_come_from_an_exports_id_column() {
        let csv = b"id,name,phoneNumber\n12,Asha,'+919876543210\n7,\"Bo, Jr\",\n";
        assert_eq!(member_ids_of_csv(csv).unwrap(), [12, 7]);
        assert_eq!(member_ids_of_csv(b"name,contactId\nA,3\n").unwrap(), [3]);
        let err = |csv: &[u8]| member_ids_of_csv(csv).unwrap_err().message;
        assert_eq!(
            err(b"name\nAsha\n"),
            "body: the CSV has no id (or contactId) column"
        );
        assert_eq!(
            err(b"id\n12\nx\n"),
            "body: line 3: id \"x\" is not a contact id"
        );
        assert!(member_ids_of_csv(b"id\n").unwrap().is_empty());
    }
}
