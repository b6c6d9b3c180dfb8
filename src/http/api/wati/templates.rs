//! `getMessageTemplates` and `sendTemplateMessage` over the templates store and the core's
//! template send.

use super::contacts::phone;
use super::messages::send;
use super::{liberal, ok};
use crate::clock;
use crate::compat::wati::messages::item;
use crate::compat::wati::templates::{TemplateSend, template};
use crate::compat::wati::{Paging, link};
use crate::error::Result;
use crate::http::Body;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::messages::body::Draft;
use crate::messages::model::{Channel, Kind};
use crate::templates::store;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

/// `GET getMessageTemplates?pageSize&pageNumber`.
pub async fn get_templates(
    state: web::Data<AppState>,
    caller: ApiAccount,
    paging: web::Query<Paging>,
) -> Result<HttpResponse> {
    let asked = paging.asked()?;
    let (templates, total) = store::list(&*state.pool.get()?, caller.account_id, asked.page)?;
    let listed: Vec<_> = templates
        .iter()
        .map(|s| template(s.id, &s.template, s.updated_at))
        .collect();
    Ok(ok(json!({
        "result": "success",
        "messageTemplates": listed,
        "link": link(asked, total),
    })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NumberQuery {
    whatsapp_number: Option<String>,
}

/// `POST sendTemplateMessage?whatsappNumber=` `{template_name, broadcast_name, parameters}`.
pub async fn send_template_message(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<NumberQuery>,
    body: Body,
) -> Result<HttpResponse> {
    let number = query.into_inner().whatsapp_number.unwrap_or_default();
    send_template(req, state, caller, number, body).await
}

/// `POST sendTemplateMessage/{whatsappNumber}`: the same, the number in the path.
pub async fn send_template_message_to(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse> {
    send_template(req, state, caller, path.into_inner(), body).await
}

async fn send_template(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    number: String,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let phone = phone(&state, &number)?;
    let asked: TemplateSend = liberal(&req, &bytes)?;
    let name = asked.name()?;
    let stored = store::find_by_name(&*state.pool.get()?, caller.account_id, &name)?;
    let broadcast_name = asked.broadcast_name.clone();
    let now = clock::now();
    let draft = Draft::parse(
        Channel::WhatsApp,
        Kind::Template,
        asked.to_core(&phone, &stored.template)?,
        &state.phones,
        now,
    )?;
    let message = send(&state, caller.account_id, draft, now).await?;
    Ok(ok(json!({
        "result": true,
        "phone_number": crate::compat::wati::wa_id(&phone),
        "template_name": name,
        "broadcast_name": broadcast_name,
        "validWhatsAppNumber": true,
        "message": item(&message),
    })))
}
