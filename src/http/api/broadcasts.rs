//! `/v1/broadcasts`: create, list, get, pause, resume, cancel, the messages of one, its
//! report, and its recipients (JSON pages or a CSV stream).

use crate::broadcasts::model::{BroadcastBody, NewBroadcast, Status};
use crate::broadcasts::recipients::{self, Cursor, Filter};
use crate::broadcasts::{report, store};
use crate::clock;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{ChannelBody, Json, PageQuery, paged};
use crate::messages::model::Status as MessageStatus;
use crate::messages::store as messages;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<BroadcastBody>,
) -> Result<HttpResponse> {
    let (account, now) = (caller.account_id, clock::now());
    let broadcast = NewBroadcast::parse(body, now)?;
    let segment_id = broadcast.segment_id;
    let reading = state.clone();
    let counted = web::block(move || {
        let conn = reading.pool.get()?;
        store::count_ahead(&conn, Some(&reading.pool), account, segment_id, now)
    })
    .await??;
    let view = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &broadcast, now, counted)?;
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
    list_for(&state, caller.account_id, &query)
}

/// The account's broadcasts, newest first, with their stats (the API's and the admin page's).
pub fn list_for(state: &AppState, account: i64, query: &PageQuery) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let conn = state.pool.get()?;
    let (broadcasts, total) = store::list(&conn, account, page)?;
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
    report_for(&state, caller.account_id, id.into_inner())
}

/// The report of the account's broadcast `id` (the API's and the admin page's).
pub fn report_for(state: &AppState, account: i64, id: i64) -> Result<HttpResponse> {
    let conn = state.pool.get()?;
    let broadcast = store::get(&conn, account, id)?;
    let counters = store::counters(&conn, broadcast.id)?;
    let minutes = match report::timeline_span(&broadcast) {
        Some(span) => store::minutes(&conn, broadcast.id, span)?,
        None => Vec::new(),
    };
    let window = state.reply_window;
    Ok(HttpResponse::Ok().json(report::render(&broadcast, &counters, &minutes, window)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipientsQuery {
    status: Option<String>,
    error_code: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
    format: Option<String>,
}

/// Recipients per page of a CSV export: read on a reader, a page at a time.
const CSV_PAGE: usize = 2_000;

/// `GET /v1/broadcasts/{id}/recipients?status=&errorCode=&after=&limit=`: its recipients,
/// filtered, a page at a time; with `Accept: text/csv` or `format=csv`, all of them as a
/// CSV stream whose memory stays flat whatever the size.
pub async fn recipients(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    query: web::Query<RecipientsQuery>,
) -> Result<HttpResponse> {
    recipients_for(&req, &state, caller.account_id, id.into_inner(), &query)
}

/// The recipients of the account's broadcast `id`, a page or a CSV stream (the API's and
/// the admin page's).
pub fn recipients_for(
    req: &HttpRequest,
    state: &AppState,
    account: i64,
    id: i64,
    query: &RecipientsQuery,
) -> Result<HttpResponse> {
    let filter = Filter::parse(query.status.as_deref(), query.error_code.as_deref())?;
    let cursor = Cursor::parse(query.after.as_deref())?;
    let limit = Page::new(query.limit, None)?.limit as usize;
    let csv = match query.format.as_deref().map(str::trim) {
        Some("csv") => true,
        None | Some("") | Some("json") => wants_csv(req),
        Some(other) => {
            return Err(Error::invalid(format!(
                "format: expected csv or json, got {other:?}"
            )));
        }
    };
    let pool = state.pool.clone();
    let broadcast = store::get(&*pool.get()?, account, id)?.id;
    if !csv {
        let (page, next) = recipients::page(&*pool.get()?, broadcast, &filter, cursor, limit)?;
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "data": page.iter().map(|r| r.view()).collect::<Vec<_>>(),
            "next": next.map(Cursor::show),
        })));
    }
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let send = |chunk: Result<Vec<u8>>| tx.blocking_send(chunk.map(web::Bytes::from)).is_ok();
        if !send(Ok(recipients::CSV_HEADER.as_bytes().to_vec())) {
            return;
        }
        let mut cursor = cursor;
        loop {
            let read = pool
                .get()
                .map_err(Error::from)
                .and_then(|conn| recipients::page(&conn, broadcast, &filter, cursor, CSV_PAGE));
            match read {
                Ok((page, next)) => {
                    if !send(Ok(recipients::csv_rows(&page))) {
                        return; // the client went away
                    }
                    match next {
                        Some(next) => cursor = next,
                        None => return,
                    }
                }
                Err(e) => {
                    send(Err(e));
                    return;
                }
            }
        }
    });
    let filename = format!("attachment; filename=\"broadcast-{broadcast}-recipients.csv\"");
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, filename))
        .streaming(ChannelBody(rx)))
}

/// Whether the client asked for CSV over JSON.
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"))
}
