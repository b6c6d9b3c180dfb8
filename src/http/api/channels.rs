//! `/v1/channels/{channel}`: an account's provider settings. Secrets are write-only. The
//! admin page's channel section (`/admin/api/channels`) calls the same functions.

use crate::channels::{model, store};
use crate::clock;
use crate::error::Result;
use crate::http::Json;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::messages::model::Channel;
use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

/// The settings of every channel, as `GET` shows each, plus the form that edits them:
/// `fields`, in order, each with whether it is a secret and required.
pub fn all(state: &AppState, account: i64) -> Result<Vec<Value>> {
    let conn = state.pool.get()?;
    Channel::ALL
        .into_iter()
        .map(|channel| {
            let stored = store::read(&conn, account, channel, state.secret_key.as_ref())?;
            let mut view = view(channel, stored);
            let fields: Vec<Value> = model::fields(channel)
                .iter()
                .map(|f| json!({"name": f.name, "secret": f.secret, "required": f.required}))
                .collect();
            view["fields"] = json!(fields);
            Ok(view)
        })
        .collect()
}

/// The settings as the API shows them; stored ones that no longer read show as configured,
/// with the `problem`, so that they can be set again or forgotten.
fn view(channel: Channel, stored: store::Stored) -> Value {
    match stored {
        store::Stored::Missing => model::view(channel, None),
        store::Stored::Settings(settings) => model::view(channel, Some(&settings)),
        store::Stored::Unreadable(why) => {
            let mut view = model::view(channel, None);
            view["configured"] = json!(true);
            view["transport"] = json!("provider");
            view["problem"] = json!(store::unreadable(channel, &why));
            view
        }
    }
}

/// Merges a `PUT` body into the stored settings (or into none, when the stored ones no
/// longer read); answers the new view.
pub async fn change(
    state: &AppState,
    account: i64,
    channel: Channel,
    body: Map<String, Value>,
) -> Result<Value> {
    let now = clock::now();
    let key = state.secret_key.clone();
    let view = state
        .writer
        .run(move |conn| {
            let stored = match store::read(conn, account, channel, key.as_ref())? {
                store::Stored::Settings(settings) => settings,
                store::Stored::Missing | store::Stored::Unreadable(_) => Map::new(),
            };
            let settings = model::merge(channel, stored, body)?;
            store::put(conn, account, channel, &settings, key.as_ref(), now)?;
            Ok(model::view(channel, Some(&settings)))
        })
        .await;
    state.hooks.forget(account, channel);
    view
}

/// Forgets the settings: the channel goes back to the sandbox.
pub async fn forget(state: &AppState, account: i64, channel: Channel) -> Result<Value> {
    let deleted = state
        .writer
        .run(move |conn| store::delete(conn, account, channel))
        .await;
    state.hooks.forget(account, channel);
    deleted?;
    Ok(model::view(channel, None))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let key = state.secret_key.as_ref();
    let stored = store::read(&*state.pool.get()?, caller.account_id, channel, key)?;
    Ok(HttpResponse::Ok().json(view(channel, stored)))
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
