//! `getMessageTemplates`, `sendTemplateMessage` and `sendTemplateMessages` over the
//! templates store, the core's template send and broadcasts to a list.

use super::contacts::phone;
use super::messages::send;
use super::{liberal, ok};
use crate::broadcasts::model::{Parameters, StoredTemplate};
use crate::clock;
use crate::compat::wati::messages::item;
use crate::compat::wati::templates::{
    Receiver, TemplateSend, TemplateSends, broadcast, fill, names, receiver, receivers_of_csv,
    template,
};
use crate::compat::wati::{Paging, link};
use crate::delivery::lists;
use crate::error::Result;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{BODY_LIMIT, Body, upload};
use crate::messages::body::Draft;
use crate::messages::model::{Channel, Kind};
use crate::templates::store;
use actix_multipart::Multipart;
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
    let broadcast_name = broadcast(asked.broadcast_name.clone())?;
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

/// `POST sendTemplateMessages` `{template_name, broadcast_name, receivers}`: one broadcast
/// (in the broadcasts list, named `broadcast_name`), each receiver with parameters of their
/// own. A receiver that cannot be sent to is reported in its line; the others still go.
pub async fn send_template_messages(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let (template_name, name, receivers) = liberal::<TemplateSends>(&req, &bytes)?.read()?;
    to_list(&state, caller.account_id, &template_name, name, receivers).await
}

#[derive(Debug, Default, Deserialize)]
pub struct CsvQuery {
    template_name: Option<String>,
    broadcast_name: Option<String>,
}

/// `POST sendTemplateMessageCSV?template_name=&broadcast_name=` with a multipart CSV file
/// of numbers and parameters: as `sendTemplateMessages`, its rows the receivers.
pub async fn send_template_message_csv(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<CsvQuery>,
    form: Multipart,
) -> Result<HttpResponse> {
    let query = query.into_inner();
    let (template_name, name) = names(query.template_name, query.broadcast_name)?;
    let receivers = receivers_of_csv(&upload::read(form, BODY_LIMIT).await?.file.bytes)?;
    to_list(&state, caller.account_id, &template_name, name, receivers).await
}

/// Sends a template to `receivers` as one broadcast named `name`; each receiver's line says
/// its message, or why it has none.
async fn to_list(
    state: &AppState,
    account: i64,
    template_name: &str,
    name: String,
    receivers: Vec<Receiver>,
) -> Result<HttpResponse> {
    let stored = store::find_by_name(&*state.pool.get()?, account, template_name)?;
    let (numbers, checked): (Vec<String>, Vec<Result<(String, Parameters)>>) = receivers
        .into_iter()
        .map(|r| {
            let number = r.whatsapp_number.unwrap_or_default();
            let own = phone(state, &number).and_then(|phone| {
                Ok((
                    phone,
                    fill(&stored.template, "customParams", r.custom_params)?,
                ))
            });
            (number, own)
        })
        .unzip();
    let template = StoredTemplate {
        name: stored.template.name.clone(),
        language: stored.template.language.clone(),
        header_text_parameters: Vec::new(),
        body_text_parameters: Vec::new(),
        button_url_parameters: Vec::new(),
        header_media_url: None,
    };
    let now = clock::now();
    let outcomes = state
        .writer
        .run(move |conn| lists::send(conn, account, &name, template, &checked, now))
        .await?;
    let lines: Vec<_> = numbers
        .iter()
        .zip(&outcomes)
        .map(|(number, outcome)| receiver(number, outcome))
        .collect();
    state.delivery.wake();
    let any = lines.iter().any(|l| !l["localMessageId"].is_null());
    Ok(ok(json!({"result": any, "errors": [], "receivers": lines})))
}
