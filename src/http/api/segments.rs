//! `/v1/segments` (Whautomate's dialect, docs/api.md#segments): create, list, get, delete,
//! count, members, and preview. Membership is computed at every read, off the async
//! workers.

use crate::clock;
use crate::contacts::store::Window;
use crate::error::{Error, Result};
use crate::fields::{Id, Page};
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Body, Json, delete_by_id, json, paged};
use crate::segments::model::{Definition, SegmentBody, member_ids, member_ids_of_csv};
use crate::segments::store::{self, ListFilter};
use crate::segments::{count, page};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// People a preview shows.
const SAMPLE: u32 = 10;

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<SegmentBody>,
) -> Result<HttpResponse> {
    let def = Definition::parse(body)?;
    let (account, now, limit) = (caller.account_id, clock::now(), caller.limits.segments);
    let id = state
        .writer
        .run(move |conn| store::insert(conn, account, &def, now, limit))
        .await?;
    read(state, account, id).await
}

/// A segment with its member count, as every read shows it.
async fn read(state: web::Data<AppState>, account: i64, id: i64) -> Result<HttpResponse> {
    let view = web::block(move || -> Result<_> {
        let conn = state.pool.get()?;
        let segment = store::get(&conn, account, id)?;
        let members =
            count::member_count(&conn, Some(&state.pool), account, &segment, clock::now())?;
        Ok(segment.view(members))
    })
    .await??;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<SegmentBody>,
) -> Result<HttpResponse> {
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    state
        .writer
        .run(move |conn| {
            let stored = store::get(conn, account, id)?;
            let members = body
                .contact_ids
                .as_ref()
                .map(|ids| ids.iter().map(|i| i.0).collect::<Vec<_>>());
            let def = Definition::updated(stored.sent(), body)?;
            store::update(conn, account, id, &def, members.as_deref(), now)
        })
        .await?;
    read(state, account, id).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembersBody {
    contact_ids: Vec<Id>,
}

/// `POST` (add) and `DELETE` (remove) `/v1/segments/{id}/contacts`, static segments only.
/// An add also takes CSV with an `id` column: an export's, or a broadcast's recipients'
/// ("retry the failed").
pub async fn add_members(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let ids = match req.content_type() {
        "text/csv" => member_ids_of_csv(&bytes)?,
        _ => member_ids(
            &json::parse::<MembersBody>(&bytes)?.contact_ids,
            "contactIds",
        )?,
    };
    change_members(state, caller.account_id, id.into_inner(), ids, true).await
}

pub async fn remove_members(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<MembersBody>,
) -> Result<HttpResponse> {
    let ids = member_ids(&body.contact_ids, "contactIds")?;
    change_members(state, caller.account_id, id.into_inner(), ids, false).await
}

async fn change_members(
    state: web::Data<AppState>,
    account: i64,
    id: i64,
    ids: Vec<i64>,
    add: bool,
) -> Result<HttpResponse> {
    state
        .writer
        .run(move |conn| {
            let segment = store::get(conn, account, id)?;
            if segment.dynamic {
                return Err(Error::conflict(
                    "contactIds: this segment is dynamic; its members are whoever matches its rule",
                ));
            }
            if add {
                store::add_members(conn, account, segment.kind, id, &ids)
            } else {
                store::remove_members(conn, id, &ids)
            }
        })
        .await?;
    read(state, account, id).await
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    read(state, caller.account_id, id.into_inner()).await
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    delete_by_id(state, caller.account_id, id.into_inner(), store::delete).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    limit: Option<u32>,
    page: Option<u32>,
    location_id: Option<i64>,
    search_text: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let page = Page::new(query.limit, query.page)?;
    let filter = ListFilter {
        location_id: query.location_id,
        search: query
            .search_text
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    };
    let account = caller.account_id;
    let (views, total) = web::block(move || -> Result<_> {
        let conn = state.pool.get()?;
        let (segments, total) = store::list(&conn, account, &filter, page)?;
        let counts = page::member_counts(&conn, &state.pool, account, &segments, clock::now())?;
        let views = segments.iter().zip(counts).map(|(s, n)| s.view(n));
        Ok((views.collect::<Vec<_>>(), total))
    })
    .await??;
    Ok(paged(views, total))
}

pub async fn count(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let (account, id) = (caller.account_id, id.into_inner());
    let count = web::block(move || -> Result<_> {
        let conn = state.pool.get()?;
        let segment = store::get(&conn, account, id)?;
        count::count(&conn, Some(&state.pool), account, &segment, clock::now())
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({"count": count})))
}

#[derive(Debug, Deserialize)]
pub struct MembersQuery {
    limit: Option<u32>,
    page: Option<u32>,
    /// The last id of the previous page: pages by cursor cost the same at any depth.
    after: Option<i64>,
}

pub async fn members(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    query: web::Query<MembersQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    if query.after.is_some() && query.page.is_some() {
        return Err(Error::invalid(
            "after: page through members with after or page, not both",
        ));
    }
    let page = Page::new(query.limit, query.page)?;
    let (account, id, after) = (caller.account_id, id.into_inner(), query.after.unwrap_or(0));
    let (people, total) = web::block(move || -> Result<_> {
        let conn = state.pool.get()?;
        let segment = store::get(&conn, account, id)?;
        let now = clock::now();
        let window = Window {
            after,
            offset: page.offset,
            limit: page.limit,
        };
        let (spare, names) = (Some(&state.pool), &state.attribute_names);
        store::members_and_count(&conn, spare, names, account, &segment, now, window)
    })
    .await??;
    Ok(paged(people, total))
}

pub async fn preview(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(mut body): Json<SegmentBody>,
) -> Result<HttpResponse> {
    body.name.get_or_insert_with(|| "preview".into());
    let def = Definition::parse(body)?;
    let account = caller.account_id;
    let (count, sample) = web::block(move || {
        store::matching(
            &*state.pool.get()?,
            Some(&state.pool),
            &state.attribute_names,
            account,
            &def,
            clock::now(),
            Window::first(SAMPLE),
        )
    })
    .await??;
    Ok(HttpResponse::Ok().json(json!({"count": count, "sample": sample})))
}
