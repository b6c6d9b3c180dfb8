//! `/v1/templates`: create, list, get, update, delete, and sync from the WhatsApp Business
//! Account.

use crate::broadcasts::holds;
use crate::channels::store::Stored;
use crate::channels::{model, store as channels, waba};
use crate::clock;
use crate::error::{Error, Result};
use crate::fields::Page;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Json, PageQuery, delete_by_id, paged};
use crate::messages::model::Channel;
use crate::templates::model::{Template, TemplateBody};
use crate::templates::store::{self, Synced};
use actix_web::{HttpResponse, web};
use serde_json::json;

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<TemplateBody>,
) -> Result<HttpResponse> {
    let template = Template::parse(body)?;
    let (account, now) = (caller.account_id, clock::now());
    let view = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &template, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    list_for(&state, caller.account_id, &query)
}

/// The account's templates with their approval (the API's and the admin page's).
pub fn list_for(state: &AppState, account: i64, query: &PageQuery) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let (templates, total) = store::list(&*state.pool.get()?, account, page)?;
    Ok(paged(
        templates.iter().map(store::Stored::view).collect(),
        total,
    ))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(store::get(&*state.pool.get()?, caller.account_id, id.into_inner())?.view()))
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<TemplateBody>,
) -> Result<HttpResponse> {
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let view = state
        .writer
        .run(move |conn| {
            let template = store::get(conn, account, id)?.template.updated(body)?;
            store::update(conn, account, id, &template, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    delete_by_id(state, caller.account_id, id.into_inner(), store::delete).await
}

/// `POST /v1/templates/sync`: the account's templates as its WhatsApp Business Account has
/// them (its channel's `wabaId` and `accessToken`), read from the Cloud API page by page and
/// stored by name and language: content, category and approval. A broadcast whose template
/// is now paused, disabled or rejected pauses. A template this server cannot send (a
/// component or button it does not know, named placeholders) is listed as skipped.
pub async fn sync(state: web::Data<AppState>, caller: ApiAccount) -> Result<HttpResponse> {
    sync_for(&state, caller.account_id).await
}

/// [`sync`] for the account (the API's and the admin page's).
pub async fn sync_for(state: &AppState, account: i64) -> Result<HttpResponse> {
    let stored = channels::read(
        &*state.pool.get()?,
        account,
        Channel::WhatsApp,
        state.secret_key.as_ref(),
    )?;
    let settings = match stored {
        Stored::Settings(settings) => settings,
        Stored::Missing => {
            return Err(Error::conflict(
                "wabaId: set up the whatsapp channel with its wabaId first; sandbox templates are APPROVED",
            ));
        }
        Stored::Unreadable(why) => return Err(Error::conflict(format!("wabaId: {why}"))),
    };
    let (Some(waba), Some(token)) = (
        model::get(&settings, "wabaId"),
        model::get(&settings, "accessToken"),
    ) else {
        return Err(Error::conflict(
            "wabaId: the whatsapp channel has no wabaId; set it with PUT /v1/channels/whatsapp",
        ));
    };
    let providers = &state.providers;
    let base = providers.urls.of(Channel::WhatsApp);
    let found = waba::templates(&providers.client, base, waba, token).await?;
    let mut ready = Vec::new();
    let mut skipped = Vec::new();
    for meta in &found {
        let checked = waba::template_of(meta).and_then(|(body, status, reason)| {
            Template::parse(body)
                .map(|t| (t, status, reason))
                .map_err(|e| e.message)
        });
        match checked {
            Ok(t) => ready.push(t),
            Err(why) => skipped
                .push(json!({"name": meta["name"], "language": meta["language"], "reason": why})),
        }
    }
    let now = clock::now();
    let (created, updated, paused) = state
        .writer
        .run(move |conn| {
            let (mut created, mut updated, mut paused) = (0, 0, 0);
            for (t, status, reason) in &ready {
                match store::put_synced(conn, account, t, *status, reason.as_deref(), now)? {
                    Synced::Created => created += 1,
                    Synced::Updated => updated += 1,
                }
                if status.stops_broadcasts() {
                    paused += holds::pause_for_template(
                        conn,
                        account,
                        &t.name,
                        &t.language,
                        *status,
                        reason.as_deref(),
                        now,
                    )?;
                }
            }
            Ok((created, updated, paused))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "created": created,
        "updated": updated,
        "skipped": skipped,
        "pausedBroadcasts": paused,
    })))
}
