//! `getMessages`, `sendSessionMessage`, `sendSessionFile` and `sendSessionFileViaUrl` (each
//! `/{whatsappNumber}`) over the message log and the core's send (its 24-hour rule and
//! quotas included), and `getMedia`, the kept files.

use super::contacts::phone;
use super::{liberal, ok};
use crate::clock;
use crate::compat::wati::messages::{FileCaption, FileViaUrl, SessionText, item};
use crate::compat::wati::{Paging, link};
use crate::contacts::model::PersonType;
use crate::contacts::store as contacts;
use crate::error::{Error, Result};
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Body, upload};
use crate::media::model::{File, MAX_FILE};
use crate::media::store as media;
use crate::messages::body::Draft;
use crate::messages::model::{Channel, Kind};
use crate::messages::store;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
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

/// `POST sendSessionFile/{whatsappNumber}?caption=` with a multipart `file`: the file is
/// checked and kept, then sent within the 24-hour window. Kept and queued in one
/// transaction: a refused send keeps nothing.
pub async fn send_session_file(
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    query: web::Query<FileCaption>,
    form: Multipart,
) -> Result<HttpResponse> {
    let form = upload::read(form, MAX_FILE).await?;
    let caption = query
        .into_inner()
        .caption
        .or(form.field("caption").map(str::to_string));
    let file = form.file.check()?;
    let now = clock::now();
    let draft = Draft::parse(
        Channel::WhatsApp,
        Kind::Media,
        FileCaption { caption }.to_core(&path, &file),
        &state.phones,
        now,
    )?;
    let message = send_with(&state, caller.account_id, draft, Some(file), now).await?;
    Ok(ok(json!({"result": true, "message": item(&message)})))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaQuery {
    file_name: Option<String>,
}

/// `GET getMedia?fileName=`: a file this account keeps, as it was uploaded.
pub async fn get_media(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<MediaQuery>,
) -> Result<HttpResponse> {
    let name = query.into_inner().file_name.unwrap_or_default();
    match name.trim().chars().count() {
        0 => return Err(Error::invalid("fileName: required")),
        65.. => return Err(Error::invalid("fileName: at most 64 characters")),
        _ => {}
    }
    let file = media::read(&*state.pool.get()?, caller.account_id, name.trim())?
        .ok_or_else(|| Error::not_found("fileName: no file of this account has this name"))?;
    let disposition = header::ContentDisposition {
        disposition: header::DispositionType::Attachment,
        parameters: vec![header::DispositionParam::Filename(file.original)],
    };
    Ok(HttpResponse::Ok()
        .content_type(file.mime)
        .insert_header(disposition)
        .insert_header(("x-content-type-options", "nosniff"))
        .body(file.bytes))
}

/// Sends `draft` as the native API does, and reads it back as the log shows it.
pub async fn send(state: &AppState, account: i64, draft: Draft, now: i64) -> Result<Value> {
    send_with(state, account, draft, None, now).await
}

/// [`send`], keeping `file` first in the same transaction.
async fn send_with(
    state: &AppState,
    account: i64,
    draft: Draft,
    file: Option<File>,
    now: i64,
) -> Result<Value> {
    let message = state
        .writer
        .run(move |conn| {
            if let Some(file) = &file {
                media::insert(conn, account, file, now)?;
            }
            let accepted = store::send(conn, account, &draft, now)?;
            store::view_of(conn, account, accepted.id)?
                .ok_or_else(|| Error::internal("a message just logged is gone"))
        })
        .await?;
    state.delivery.wake();
    Ok(message)
}
