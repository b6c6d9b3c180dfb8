//! `/v1/messages`: the twelve send endpoints, incoming messages, a person's log, cancel.

use crate::clock;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Body, Json, paged};
use crate::idempotency::{self, store as remembered};
use crate::messages::body::{Draft, SendBody};
use crate::messages::incoming::{Incoming, ReceiveBody};
use crate::messages::model::{Channel, Kind};
use crate::messages::store;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

fn json_answer(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// `POST /v1/messages/{channel}/{sendtext|sendmedia|sendtemplate}`.
pub async fn send(
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let (channel_name, action) = path.into_inner();
    let channel = Channel::in_path(&channel_name)?;
    let kind = Kind::from_action(&action).ok_or_else(|| {
        Error::not_found(format!(
            "no action {action:?}: use sendtext, sendmedia, sendtemplate or receive"
        ))
    })?;
    let (account, now) = (caller.account_id, clock::now());
    let header = req.headers().get(idempotency::HEADER);
    let key = idempotency::key_of(header.map(|v| v.as_bytes()))?;
    let fingerprint = idempotency::fingerprint(req.path(), &bytes);
    // Held until the answer is committed, so a concurrent repeat gets 409.
    let _claim = match &key {
        Some(key) => {
            let claim = state.idempotency.claim(account, key)?;
            if let Some(stored) = remembered::recall(&*state.pool.get()?, account, key, now)? {
                return Ok(json_answer(idempotency::replay(stored, &fingerprint)?));
            }
            Some(claim)
        }
        None => None,
    };
    let body: SendBody = crate::http::json::parse(&bytes)?;
    let draft = Draft::parse(channel, kind, body, &state.phones, now)?;
    let answer = state
        .writer
        .run(move |conn| {
            let answer = store::send(conn, account, &draft, now)?.body().to_string();
            if let Some(key) = key {
                remembered::remember(conn, account, &key, &fingerprint, &answer, now)?;
            }
            Ok(answer)
        })
        .await?;
    state.delivery.wake();
    Ok(json_answer(answer))
}

/// `POST /v1/messages/{channel}/receive`: an incoming message.
pub async fn receive(
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    Json(body): Json<ReceiveBody>,
) -> Result<HttpResponse> {
    let incoming = Incoming::parse(Channel::in_path(&path)?, body, &state.phones)?;
    let (account, now, state2) = (caller.account_id, clock::now(), state.clone());
    let answer = state
        .writer
        .run(move |conn| {
            let (words, window) = (&state2.opt_words, state2.reply_window);
            store::receive(conn, account, &incoming, words, window, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogQuery {
    limit: Option<u32>,
    page: Option<u32>,
    search_text: Option<String>,
    /// A message id: only older messages (pages that do not shift as new ones arrive).
    before: Option<i64>,
}

/// `GET /v1/messages/{contactId}`: that person's log, newest first.
pub async fn log(
    state: web::Data<AppState>,
    caller: ApiAccount,
    contact_id: web::Path<i64>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let search = query
        .search_text
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let (messages, total) = store::log(
        &*state.pool.get()?,
        caller.account_id,
        contact_id.into_inner(),
        search,
        query.before,
        page,
    )?;
    Ok(paged(messages, total))
}

/// `POST /v1/messages/{id}/cancel`: a message not yet handed to its channel.
pub async fn cancel(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    state
        .writer
        .run(move |conn| store::cancel(conn, account, id, now))
        .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"success": true, "id": id.to_string(), "status": "cancelled"})))
}
