//! `/v1/contacts` and `/v1/clients` (the same routes over the two person types), and
//! `/v1/tags`.

use super::model::{PersonChanges, PersonInput, PersonType, tags};
use super::store::{self, ListFilter};
use crate::auth::api::ApiAccount;
use crate::clock;
use crate::error::{ApiError, Result};
use crate::fields::Page;
use crate::http::{Json, paged};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, Scope, web};
use serde::Deserialize;
use std::future::{Ready, ready};

/// The routes of one person type, mounted at `path`.
pub fn scope(path: &str, kind: PersonType) -> Scope {
    web::scope(path)
        .app_data(kind)
        .route("", web::post().to(create))
        .route("", web::get().to(list))
        .route("/{id}", web::get().to(get))
        .route("/{id}", web::put().to(update))
        .route("/{id}", web::delete().to(delete))
        .route("/{id}/tags", web::post().to(add_tags))
        .route("/{id}/tags", web::delete().to(remove_tags))
}

/// The person type of the scope a request came through.
impl FromRequest for PersonType {
    type Error = ApiError;
    type Future = Ready<Result<Self>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.app_data::<PersonType>()
                .copied()
                .ok_or_else(|| ApiError::internal("route without a person type")),
        )
    }
}

fn parse(state: &AppState, input: PersonInput) -> Result<PersonChanges> {
    PersonChanges::parse(input, &state.phones, clock::date_of(clock::now()))
}

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    Json(input): Json<PersonInput>,
) -> Result<HttpResponse> {
    let changes = parse(&state, input)?;
    if !changes.identifies_someone() {
        return Err(ApiError::bad_request(format!(
            "body: a {} needs at least one of name, firstName, phoneNumber, email, externalId or channelIds",
            kind.as_str()
        )));
    }
    let (account, now) = (caller.account_id, clock::now());
    let person = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, kind, &changes, now)?;
            store::get(conn, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
    Json(input): Json<PersonInput>,
) -> Result<HttpResponse> {
    let changes = parse(&state, input)?;
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let person = state
        .writer
        .run(move |conn| {
            store::update(conn, account, kind, id, &changes, now)?;
            store::get(conn, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let person = store::get(
        &*state.pool.get()?,
        caller.account_id,
        kind,
        id.into_inner(),
    )?;
    Ok(HttpResponse::Ok().json(person))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let (account, id) = (caller.account_id, id.into_inner());
    state
        .writer
        .run(move |conn| store::delete(conn, account, kind, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"success": true})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    limit: Option<u32>,
    page: Option<u32>,
    search_text: Option<String>,
    tag: Option<String>,
    contact_stage: Option<String>,
    location_id: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let page = Page::new(query.limit, query.page)?;
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let filter = ListFilter {
        search: nonempty(query.search_text),
        tag: nonempty(query.tag),
        stage: nonempty(query.contact_stage),
        location_id: query.location_id,
    };
    // Counting and searching can scan: off the async workers.
    let (people, total) = web::block(move || {
        store::list(&*state.pool.get()?, caller.account_id, kind, &filter, page)
    })
    .await??;
    Ok(paged(people, total))
}

#[derive(Debug, Deserialize)]
pub struct TagsBody {
    tags: Vec<String>,
}

pub async fn add_tags(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
    Json(body): Json<TagsBody>,
) -> Result<HttpResponse> {
    let names = tags(&body.tags)?;
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let person = state
        .writer
        .run(move |conn| {
            store::add_tags(conn, account, kind, id, &names, now)?;
            store::get(conn, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

pub async fn remove_tags(
    state: web::Data<AppState>,
    caller: ApiAccount,
    kind: PersonType,
    id: web::Path<i64>,
    Json(body): Json<TagsBody>,
) -> Result<HttpResponse> {
    let names = tags(&body.tags)?;
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let person = state
        .writer
        .run(move |conn| {
            store::remove_tags(conn, account, kind, id, &names, now)?;
            store::get(conn, account, kind, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(person))
}

/// `GET /v1/tags`: every tag of the account with how many people carry it.
pub async fn list_tags(state: web::Data<AppState>, caller: ApiAccount) -> Result<HttpResponse> {
    let tags =
        web::block(move || store::tag_counts(&*state.pool.get()?, caller.account_id)).await??;
    Ok(HttpResponse::Ok().json(tags))
}
