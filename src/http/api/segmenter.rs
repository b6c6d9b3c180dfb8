//! Segmenter's segments (seed 003, API.md §5.3): `POST /segmenter/segments`, and `PUT` and
//! `GET /segmenter/segments/{id}`. Persons are upserted as contacts (by `externalId`, then
//! phone), their `substitutionTags` kept as attributes, `TagId` added to their tags. They
//! become the segment's members, unless non-empty `filters` make it dynamic.

use crate::accounts::store as accounts;
use crate::clock;
use crate::contacts::bulk;
use crate::contacts::model::{PersonChanges, PersonInput, PersonType, attribute_name};
use crate::contacts::names::AttributeNames;
use crate::error::{Error, Result};
use crate::fields::Id;
use crate::http::Json;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::segments::model::{Definition, MAX_CONTACT_IDS, SegmentBody};
use crate::segments::store;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmenterBody {
    name: Option<String>,
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
struct Person {
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

/// The person as a contact change: fields, substitution tags as attributes, `TagId` as a tag.
fn person_changes(
    state: &AppState,
    i: usize,
    raw: Value,
    tag: Option<&str>,
) -> Result<PersonChanges> {
    let here = |e: Error| e.within(&format!("persons[{i}]"));
    let p: Person =
        serde_json::from_value(raw).map_err(|e| Error::invalid(format!("persons[{i}]: {e}")))?;
    let mut attributes = Map::new();
    for (j, sub) in p.substitution_tags.into_iter().enumerate() {
        let name = attribute_name(&sub.tag).map_err(|e| {
            Error::invalid(format!(
                "persons[{i}].substitutionTags[{j}].tag: {}",
                e.message
            ))
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
    let changes =
        PersonChanges::parse(input, &state.phones, clock::date_of(clock::now())).map_err(here)?;
    if !changes.identifies_someone() {
        return Err(Error::invalid(format!(
            "persons[{i}]: needs at least one of externalId, firstName, phone, phoneNumber or email"
        )));
    }
    Ok(changes)
}

fn tag_name(tag: &Option<Value>) -> Result<Option<String>> {
    match tag {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Error::invalid("TagId: expected a string")),
    }
}

/// `filters` as rule groups: a list of conditions (ANDed), or a list of groups.
fn filter_groups(filters: &Option<Value>) -> Result<Option<Value>> {
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

fn extra(body: &SegmenterBody) -> Value {
    json!({"broadcastMediumId": body.broadcast_medium_id, "segmentType": body.segment_type, "TagId": body.tag_id})
}

/// Validates every person, then (in one write) upserts them and stores the segment.
async fn save(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: Option<i64>,
    body: SegmenterBody,
) -> Result<HttpResponse> {
    let persons = body.persons.clone().unwrap_or_default();
    if persons.len() > MAX_CONTACT_IDS {
        return Err(Error::invalid(format!(
            "persons: at most {MAX_CONTACT_IDS} at once"
        )));
    }
    let tag = tag_name(&body.tag_id)?;
    let changes = persons
        .into_iter()
        .enumerate()
        .map(|(i, p)| person_changes(&state, i, p, tag.as_deref()))
        .collect::<Result<Vec<_>>>()?;
    let groups = filter_groups(&body.filters)?;
    let (account, now, limit) = (caller.account_id, clock::now(), caller.limits.segments);
    let replace_members = body.persons.is_some();
    let segment = SegmentBody {
        name: body.name.clone(),
        description: body.description.clone(),
        groups: groups.clone(),
        ..SegmentBody::default()
    };
    let extra = extra(&body);
    let (id, people) = state
        .writer
        .run(move |conn| {
            // Every person counted as new: the request is refused whole or done whole.
            accounts::check_room(conn, account, changes.len() as i64, 0)?;
            let ids = bulk::upsert_people(conn, account, PersonType::Contact, changes, now)?;
            // The persons are the members, unless filters make the segment dynamic.
            let members = (replace_members && groups.is_none()).then(|| ids.clone());
            let segment = SegmentBody {
                contact_ids: members.as_ref().map(|m| m.iter().map(|&i| Id(i)).collect()),
                ..segment
            };
            let id = match id {
                None => {
                    let mut def = Definition::parse(segment)?;
                    def.extra = Some(extra);
                    store::insert(conn, account, &def, now, limit)?
                }
                Some(id) => {
                    let stored = store::get(conn, account, id)?.sent();
                    let mut def = Definition::updated(stored, segment)?;
                    def.extra = Some(extra);
                    store::update(conn, account, id, &def, members.as_deref(), now)?;
                    id
                }
            };
            Ok((id, people_view(conn, account, &ids)?))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .json(json!({"data": {"id": id.to_string(), "persons": people}, "errorMessage": ""})))
}

fn people_view(conn: &rusqlite::Connection, account: i64, ids: &[i64]) -> Result<Vec<Value>> {
    ids.iter()
        .map(|id| {
            let p = crate::contacts::store::get(
                conn,
                &AttributeNames::default(),
                account,
                PersonType::Contact,
                *id,
            )?;
            Ok(json!({"id": p.id, "externalId": p.external_id, "email": p.email}))
        })
        .collect()
}

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<SegmenterBody>,
) -> Result<HttpResponse> {
    if body.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(Error::invalid("name: must not be empty"));
    }
    save(state, caller, None, body).await
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<SegmenterBody>,
) -> Result<HttpResponse> {
    save(state, caller, Some(id.into_inner()), body).await
}

/// Members shown by `GET`; the whole list is at `/v1/segments/{id}/contacts`.
const SHOWN_MEMBERS: u32 = 500;

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let (account, id) = (caller.account_id, id.into_inner());
    let data = web::block(move || -> Result<Value> {
        let conn = state.pool.get()?;
        let segment = store::get(&conn, account, id)?;
        let now = clock::now();
        let count = store::count(&conn, Some(&state.pool), account, &segment, now)?;
        let members = store::members(
            &conn,
            &state.attribute_names,
            account,
            &segment,
            now,
            0,
            0,
            SHOWN_MEMBERS,
        )?;
        let extra = segment.extra.clone().unwrap_or(Value::Null);
        let persons: Vec<Value> = members
            .iter()
            .map(|p| {
                json!({"id": p.id, "externalId": p.external_id, "email": p.email, "firstName": p.first_name,
                       "lastName": p.last_name, "phoneNumber": p.phone_number,
                       "substitutionTags": p.attributes.iter().map(|(k, v)| json!({"tag": k, "value": v})).collect::<Vec<_>>()})
            })
            .collect();
        Ok(json!({
            "id": segment.id.to_string(),
            "name": segment.name,
            "description": segment.description,
            "broadcastMediumId": extra["broadcastMediumId"],
            "segmentType": extra["segmentType"],
            "TagId": extra["TagId"],
            "filters": segment.rule.as_ref().map_or(json!([]), |r| r["groups"].clone()),
            "memberCount": count,
            "persons": persons,
        }))
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({"data": data, "errorMessage": ""})))
}
