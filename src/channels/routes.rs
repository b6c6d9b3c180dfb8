//! `/v1/channels/{channel}`: an account's provider settings. Secrets are write-only. The
//! admin page's channel section (`/admin/api/channels`) calls the same functions.

use super::{model, store};
use crate::auth::api::ApiAccount;
use crate::clock;
use crate::error::Result;
use crate::http::Json;
use crate::messages::model::Channel;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

/// The settings of every channel, as `GET` shows each, plus the form that edits them:
/// `fields`, in order, each with whether it is a secret and required.
pub fn all(state: &AppState, account: i64) -> Result<Vec<Value>> {
    let conn = state.pool.get()?;
    Channel::ALL
        .into_iter()
        .map(|channel| {
            let stored = store::get(&conn, account, channel)?;
            let mut view = model::view(channel, stored.as_ref());
            let fields: Vec<Value> = model::fields(channel)
                .iter()
                .map(|f| json!({"name": f.name, "secret": f.secret, "required": f.required}))
                .collect();
            view["fields"] = json!(fields);
            Ok(view)
        })
        .collect()
}

/// Merges a `PUT` body into the stored settings; answers the new view.
pub async fn change(
    state: &AppState,
    account: i64,
    channel: Channel,
    body: Map<String, Value>,
) -> Result<Value> {
    let now = clock::now();
    state
        .writer
        .run(move |conn| {
            let stored = store::get(conn, account, channel)?.unwrap_or_default();
            let settings = model::merge(channel, stored, body)?;
            store::put(conn, account, channel, &settings, now)?;
            Ok(model::view(channel, Some(&settings)))
        })
        .await
}

/// Forgets the settings: the channel goes back to the sandbox.
pub async fn forget(state: &AppState, account: i64, channel: Channel) -> Result<Value> {
    state
        .writer
        .run(move |conn| store::delete(conn, account, channel))
        .await?;
    Ok(model::view(channel, None))
}

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
    let view = change(&state, caller.account_id, channel, body).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let view = forget(&state, caller.account_id, channel).await?;
    Ok(HttpResponse::Ok().json(view))
}
