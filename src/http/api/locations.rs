//! `/v1/locations`: create, list, get, rename, delete.

use crate::clock;
use crate::error::Result;
use crate::fields::{Page, text};
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Json, PageQuery, delete_by_id, paged};
use crate::locations::{MAX_TITLE, store};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct LocationBody {
    title: String,
}

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<LocationBody>,
) -> Result<HttpResponse> {
    let title = text("title", &body.title, MAX_TITLE)?;
    let now = clock::now();
    let location = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, caller.account_id, &title, now)?;
            store::get(conn, caller.account_id, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(location))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let (locations, total) = store::list(&*state.pool.get()?, caller.account_id, page)?;
    Ok(paged(locations, total))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let location = store::get(&*state.pool.get()?, caller.account_id, id.into_inner())?;
    Ok(HttpResponse::Ok().json(location))
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<LocationBody>,
) -> Result<HttpResponse> {
    let title = text("title", &body.title, MAX_TITLE)?;
    let (id, now) = (id.into_inner(), clock::now());
    let location = state
        .writer
        .run(move |conn| {
            store::update(conn, caller.account_id, id, &title, now)?;
            store::get(conn, caller.account_id, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(location))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    delete_by_id(state, caller.account_id, id.into_inner(), store::delete).await
}
