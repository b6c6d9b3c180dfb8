//! Segmenter's segments: `POST /segmenter/segments`, and `PUT` and
//! `GET /segmenter/segments/{id}`, through [`crate::compat::segmenter`] onto the contacts
//! and segment stores. A bad person fails the whole request, and nothing is stored.

use crate::accounts::store as accounts;
use crate::clock;
use crate::compat::segmenter::{self, SegmenterBody, Shown};
use crate::contacts::bulk;
use crate::contacts::model::PersonType;
use crate::contacts::names::AttributeNames;
use crate::contacts::store::{self as contacts, Window};
use crate::error::{Error, Result};
use crate::fields::Id;
use crate::http::Json;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::segments::count;
use crate::segments::model::{Definition, SegmentBody};
use crate::segments::store;
use actix_web::{HttpResponse, web};

/// Checks every person, then (in one write) upserts them and stores the segment.
async fn save(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: Option<i64>,
    body: SegmenterBody,
) -> Result<HttpResponse> {
    let asked = body.to_core(&state.phones, clock::date_of(clock::now()))?;
    let (account, now, limit) = (caller.account_id, clock::now(), caller.limits.segments);
    let answer = state
        .writer
        .run(move |conn| {
            // Every person counted as new: the request is refused whole or done whole.
            accounts::check_room(conn, account, asked.people.len() as i64, 0)?;
            let ids = bulk::upsert_people(conn, account, PersonType::Contact, asked.people, now)?;
            // The persons are the members, unless filters make the segment dynamic.
            let members = asked.replaces_members.then(|| ids.clone());
            let segment = SegmentBody {
                contact_ids: members.as_ref().map(|m| m.iter().map(|&i| Id(i)).collect()),
                ..asked.segment
            };
            let id = match id {
                None => {
                    let mut def = Definition::parse(segment)?;
                    def.extra = Some(asked.extra);
                    store::insert(conn, account, &def, now, limit)?
                }
                Some(id) => {
                    let stored = store::get(conn, account, id)?.sent();
                    let mut def = Definition::updated(stored, segment)?;
                    def.extra = Some(asked.extra);
                    store::update(conn, account, id, &def, members.as_deref(), now)?;
                    id
                }
            };
            let names = AttributeNames::default();
            let persons = ids
                .iter()
                .map(|&person| contacts::get(conn, &names, account, PersonType::Contact, person))
                .collect::<Result<Vec<_>>>()?;
            Ok(segmenter::saved(id, &persons))
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
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
    let answer = web::block(move || -> Result<_> {
        let conn = state.pool.get()?;
        let segment = store::get(&conn, account, id)?;
        let now = clock::now();
        let count = count::count(&conn, Some(&state.pool), account, &segment, now)?;
        let members = store::members(
            &conn,
            &state.attribute_names,
            account,
            &segment,
            now,
            Window::first(SHOWN_MEMBERS),
        )?;
        Ok(segmenter::shown(Shown {
            id: segment.id,
            name: &segment.name,
            description: segment.description.as_deref(),
            extra: segment.extra.as_ref(),
            rule: segment.rule.as_ref(),
            count,
            members: &members,
        }))
    })
    .await??;
    Ok(HttpResponse::Ok().json(answer))
}
