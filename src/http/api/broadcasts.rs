//! `/v1/broadcasts`: create, list, get, pause, resume, cancel, the messages of one, and its
//! report.

use crate::broadcasts::model::{BroadcastBody, NewBroadcast, Status};
use crate::broadcasts::{report, store};
use crate::clock;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Json, PageQuery, paged};
use crate::messages::model::Status as MessageStatus;
use crate::messages::store as messages;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<BroadcastBody>,
) -> Result<HttpResponse> {
    let (account, now) = (caller.account_id, clock::now());
    let broadcast = NewBroadcast::parse(body, now)?;
    let view = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &broadcast, now)?;
            store::view_of(conn, account, id)
        })
        .await?;
    state.delivery.wake();
    Ok(HttpResponse::Ok().json(view))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let conn = state.pool.get()?;
    let (broadcasts, total) = store::list(&conn, caller.account_id, page)?;
    let views = broadcasts
        .iter()
        .map(|b| Ok(b.view(store::stats(&conn, b.id)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(paged(views, total))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(store::view_of(
        &*state.pool.get()?,
        caller.account_id,
        id.into_inner(),
    )?))
}

async fn transition(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: i64,
    next: Status,
) -> Result<HttpResponse> {
    let (account, now) = (caller.account_id, clock::now());
    let view = state
        .writer
        .run(move |conn| {
            store::transition(conn, account, id, next, now)?;
            store::view_of(conn, account, id)
        })
        .await?;
    state.delivery.wake();
    Ok(HttpResponse::Ok().json(view))
}

pub async fn pause(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    transition(state, caller, id.into_inner(), Status::Paused).await
}

pub async fn resume(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    transition(state, caller, id.into_inner(), Status::Running).await
}

pub async fn cancel(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    transition(state, caller, id.into_inner(), Status::Cancelled).await
}

#[derive(Debug, Deserialize)]
pub struct MessagesQuery {
    limit: Option<u32>,
    page: Option<u32>,
    status: Option<String>,
}

/// `GET /v1/broadcasts/{id}/messages?status=`: its recipients' messages, by recipient.
pub async fn messages(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    query: web::Query<MessagesQuery>,
) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let statuses = match query.status.as_deref() {
        None | Some("") => Vec::new(),
        Some(name) => {
            let statuses = MessageStatus::named(name);
            if statuses.is_empty() {
                return Err(Error::invalid(format!(
                    "status: expected one of {}",
                    MessageStatus::NAMES.join(", ")
                )));
            }
            statuses
        }
    };
    let conn = state.pool.get()?;
    let broadcast = store::get(&conn, caller.account_id, id.into_inner())?;
    let (items, total) = messages::of_broadcast(&conn, broadcast.id, &statuses, page)?;
    Ok(paged(items, total))
}

/// `GET /v1/broadcasts/{id}/report`: what the broadcast did, from its counters.
pub async fn report(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let conn = state.pool.get()?;
    let broadcast = store::get(&conn, caller.account_id, id.into_inner())?;
    let counters = store::counters(&conn, broadcast.id)?;
    let minutes = match report::timeline_span(&broadcast) {
        Some(span) => store::minutes(&conn, broadcast.id, span)?,
        None => Vec::new(),
    };
    let window = state.reply_window;
    Ok(HttpResponse::Ok().json(report::render(&broadcast, &counters, &minutes, window)))
}
