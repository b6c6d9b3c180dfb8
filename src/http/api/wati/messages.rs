//! `getMessages`, `sendSessionMessage` and `sendSessionFileViaUrl` (each `/{whatsappNumber}`)
//! over the message log and the core's send (its 24-hour rule and quotas included).

use super::contacts::phone;
use super::{liberal, ok};
use crate::clock;
use crate::compat::wati::messages::{FileViaUrl, SessionText, item};
use crate::compat::wati::{Paging, link};
use crate::contacts::model::PersonType;
use crate::contacts::store as contacts;
use crate::error::{Error, Result};
use crate::http::Body;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::messages::body::Draft;
use crate::messages::model::{Channel, Kind};
use crate::messages::store;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// `GET getMessages/{whatsappNumber}?pageSize&pageNumber`: newest first.
pub async fn get_messages(
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    paging: web::Query<Paging>,
) -> Result<HttpResponse> {
    let asked = paging.asked()?;
    let phone = phone(&state, &path)?;
    let account = caller.account_id;
    let conn = state.pool.get()?;
    let contact = contacts::by_phone(&conn, account, PersonType::Contact, &phone)?
        .ok_or_else(|| Error::not_found("whatsappNumber: no contact has this number"))?;
    let (messages, total) = store::log(&conn, account, contact, None, None, asked.page)?;
    Ok(ok(json!({
        "result": "success",
        "messages": {"items": messages.iter().map(item).collect::<Vec<_>>(), "total": total},
        "link": link(asked, total),
    })))
}

/// `POST sendSessionMessage/{whatsappNumber}`, `messageText` in the query, a form or a JSON
/// body. Outside the 24-hour window nothing is queued.
pub async fn send_session_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    query: web::Query<SessionText>,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let text = SessionText::first([query.into_inner(), liberal(&req, &bytes)?]);
    let now = clock::now();
    let draft = Draft::parse(
        Channel::WhatsApp,
        Kind::Text,
        text.to_core(&path)?,
        &state.phones,
        now,
    )?;
    let message = send(&state, caller.account_id, draft, now).await?;
    Ok(ok(json!({"result": true, "message": item(&message)})))
}

/// `POST sendSessionFileViaUrl/{whatsappNumber}?url=&caption=`: a file by its URL, within
/// the 24-hour window.
pub async fn send_file_via_url(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    query: web::Query<FileViaUrl>,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let asked = query.into_inner().or(liberal(&req, &bytes)?);
    let now = clock::now();
    let draft = Draft::parse(
        Channel::WhatsApp,
        Kind::Media,
        asked.to_core(&path)?,
        &state.phones,
        now,
    )?;
    let message = send(&state, caller.account_id, draft, now).await?;
    Ok(ok(json!({"result": true, "message": item(&message)})))
}

/// Sends `draft` as the native API does, and reads it back as the log shows it.
pub async fn send(state: &AppState, account: i64, draft: Draft, now: i64) -> Result<Value> {
    let message = state
        .writer
        .run(move |conn| {
            let accepted = store::send(conn, account, &draft, now)?;
            store::view_of(conn, account, accepted.id)?
                .ok_or_else(|| Error::internal("a message just logged is gone"))
        })
        .await?;
    state.delivery.wake();
    Ok(message)
}
