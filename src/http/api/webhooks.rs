//! `/v1/webhooks`: the account's event webhooks (docs/webhooks.md), through
//! [`crate::webhooks`]. The admin page's Webhooks section calls the same functions with the
//! session's account.

use crate::clock::{self, Timestamp};
use crate::error::{Error, Result};
use crate::fields::MAX_LIMIT;
use crate::http::Json;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::webhooks::model::{
    Endpoint, EndpointChangesBody, MAX_ENDPOINTS, NewEndpointBody, event_id, new_secret,
};
use crate::webhooks::outbox::{self, Due};
use crate::webhooks::store::{self, DeliveryFilter};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How long a rotated-out secret goes on signing beside the new one.
pub const ROTATION_OVERLAP: i64 = 24 * 3600;

pub async fn create_for(state: &AppState, account: i64, body: NewEndpointBody) -> Result<Value> {
    let endpoint = Endpoint::parse(body)?;
    state.webhooks.destinations.check(&endpoint.url).await?;
    let secret = new_secret();
    let stored = store::seal(account, &secret, state.secret_key.as_ref());
    let now = clock::now();
    let view = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &endpoint, &stored, MAX_ENDPOINTS, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await?;
    Ok(with_secret(view, &secret))
}

/// The one answer that shows a secret: its creation's, or its rotation's.
fn with_secret(mut view: Value, secret: &str) -> Value {
    view["secret"] = json!(secret);
    view
}

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<NewEndpointBody>,
) -> Result<HttpResponse> {
    let view = create_for(&state, caller.account_id, body).await?;
    Ok(HttpResponse::Created().json(view))
}

pub fn list_for(state: &AppState, account: i64) -> Result<Value> {
    let all = store::list(&*state.pool.get()?, account)?;
    Ok(Value::Array(all.iter().map(store::Stored::view).collect()))
}

pub async fn list(state: web::Data<AppState>, caller: ApiAccount) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(list_for(&state, caller.account_id)?))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let stored = store::get(&*state.pool.get()?, caller.account_id, id.into_inner())?;
    Ok(HttpResponse::Ok().json(stored.view()))
}

pub async fn update_for(
    state: &AppState,
    account: i64,
    id: i64,
    body: EndpointChangesBody,
) -> Result<Value> {
    let stored = store::get(&*state.pool.get()?, account, id)?;
    let endpoint = stored.endpoint.clone().changed(&body)?;
    if body.url.is_some() {
        state.webhooks.destinations.check(&endpoint.url).await?;
    }
    let enabled = body.enabled.unwrap_or(stored.enabled);
    let now = clock::now();
    state
        .writer
        .run(move |conn| {
            // Read again in the write: the worker may have disabled it meanwhile.
            let current = store::get(conn, account, id)?;
            store::update(conn, &current, &endpoint, enabled, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<EndpointChangesBody>,
) -> Result<HttpResponse> {
    let view = update_for(&state, caller.account_id, id.into_inner(), body).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    crate::http::delete_by_id(state, caller.account_id, id.into_inner(), store::delete).await
}

/// `POST /v1/webhooks/{id}/rotate-secret`: a new secret; the old one signs too for a day.
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let secret = new_secret();
    let sealed = store::seal(account, &secret, state.secret_key.as_ref());
    let view = state
        .writer
        .run(move |conn| {
            let stored = store::get(conn, account, id)?;
            store::rotate(conn, &stored, &sealed, now + ROTATION_OVERLAP, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await?;
    let mut answer = with_secret(view, &secret);
    answer["previousSecretExpiresAt"] = json!(clock::rfc3339(now + ROTATION_OVERLAP));
    Ok(HttpResponse::Ok().json(answer))
}

/// Sends a `webhook.test` event now and answers with how the attempt went. A failed one is
/// retried on the schedule, like any event.
pub async fn test_for(state: &AppState, account: i64, id: i64) -> Result<Value> {
    let now = clock::now();
    let (stored, event, delivery, payload) = state
        .writer
        .run(move |conn| {
            let stored = store::get(conn, account, id)?;
            let (event, delivery, payload) = outbox::record_test(conn, &stored, now)?;
            Ok((stored, event, delivery, payload))
        })
        .await?;
    let mut secrets = vec![stored.secret.clone()];
    if stored.previous_until.is_some_and(|until| until > now) {
        secrets.extend(stored.previous_secret.clone());
    }
    let due = Due {
        delivery_id: delivery,
        endpoint_id: stored.id,
        account_id: account,
        event_id: event_id(event),
        attempt: 0,
        payload,
        url: stored.endpoint.url.to_string(),
        secrets,
    };
    let attempted = state.webhook_sender.attempt(&due).await;
    let (policy, done) = (state.webhooks.policy.clone(), attempted.clone());
    state
        .writer
        .run(move |conn| outbox::record(conn, &[done], &policy, clock::now()))
        .await?;
    Ok(json!({
        "eventId": due.event_id,
        "type": "webhook.test",
        "attempt": attempted.attempt,
        "status": match attempted.outcome {
            outbox::Outcome::Succeeded => "succeeded",
            _ => "failed",
        },
        "httpStatus": attempted.http_status,
        "durationMs": attempted.duration_ms,
        "error": attempted.error,
    }))
}

pub async fn test(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(test_for(&state, caller.account_id, id.into_inner()).await?))
}

#[derive(Debug, Deserialize)]
pub struct DeliveriesQuery {
    status: Option<String>,
    limit: Option<u32>,
    after: Option<i64>,
}

pub fn deliveries_for(
    state: &AppState,
    account: i64,
    id: i64,
    q: DeliveriesQuery,
) -> Result<Value> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some("pending") => Some(store::PENDING),
        Some("succeeded") => Some(store::SUCCEEDED),
        Some("failed") => Some(store::FAILED),
        Some(_) => {
            return Err(Error::invalid(
                "status: expected pending, succeeded or failed",
            ));
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::invalid(format!(
            "limit: must be between 1 and {MAX_LIMIT}"
        )));
    }
    let conn = state.pool.get()?;
    let stored = store::get(&conn, account, id)?;
    let filter = DeliveryFilter {
        status,
        limit,
        after: q.after,
    };
    Ok(Value::Array(store::deliveries(&conn, stored.id, filter)?))
}

pub async fn deliveries(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse> {
    let list = deliveries_for(
        &state,
        caller.account_id,
        id.into_inner(),
        query.into_inner(),
    )?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize)]
pub struct ReplayBody {
    since: Option<String>,
}

/// `POST /v1/webhooks/{id}/replay {since}`: every event since then, queued again, a page
/// at a time: each page is read on a reader and queued in a short write of its own.
pub async fn replay(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<ReplayBody>,
) -> Result<HttpResponse> {
    let since = since(body.since.as_deref())?;
    let stored = store::get(&*state.pool.get()?, caller.account_id, id.into_inner())?;
    let (mut queued, mut after) = (0, None);
    loop {
        let (pool, page) = (state.pool.clone(), stored.clone());
        let (events, next) =
            web::block(move || store::replay_page(&*pool.get()?, &page, since, after, REPLAY_PAGE))
                .await
                .map_err(|e| Error::internal(format!("reading a replay: {e}")))??;
        let (endpoint, now) = (stored.id, clock::now());
        queued += state
            .writer
            .run(move |conn| store::queue_replay(conn, endpoint, &events, now))
            .await?;
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(HttpResponse::Ok().json(json!({"queued": queued})))
}

/// Events a replay reads and queues at a time: each write stays short.
const REPLAY_PAGE: usize = 2000;

fn since(raw: Option<&str>) -> Result<Timestamp> {
    let raw = raw.ok_or_else(|| Error::invalid("since: required (an RFC 3339 time)"))?;
    OffsetDateTime::parse(raw.trim(), &Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| Error::invalid(format!("since: {raw:?} is not an RFC 3339 time")))
}
