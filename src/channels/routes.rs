//! `/v1/channels/{channel}`: an account's provider settings. Secrets are write-only.

use super::{model, store};
use crate::auth::api::ApiAccount;
use crate::clock;
use crate::error::Result;
use crate::http::Json;
use crate::messages::model::Channel;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value};

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let stored = store::get(&*state.pool.get()?, caller.account_id, channel)?;
    Ok(HttpResponse::Ok().json(model::view(channel, stored.as_ref())))
}

pub async fn put(
    state: web::Data<AppState>,
    caller: ApiAccount,
    name: web::Path<String>,
    Json(body): Json<Map<String, Value>>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let (account, now) = (caller.account_id, clock::now());
    let view = state
        .writer
        .run(move |conn| {
            let stored = store::get(conn, account, channel)?.unwrap_or_default();
            let settings = model::merge(channel, stored, body)?;
            store::put(conn, account, channel, &settings, now)?;
            Ok(model::view(channel, Some(&settings)))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let account = caller.account_id;
    state
        .writer
        .run(move |conn| store::delete(conn, account, channel))
        .await?;
    Ok(HttpResponse::Ok().json(model::view(channel, None)))
}
