//! The admin page's JSON API (docs/api.md#keys-and-the-account): sign-up, login, logout,
//! the account, its keys, its channel settings.

use crate::accounts::model::{MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS};
use crate::accounts::store::{self, KeyRecord};
use crate::accounts::{Email, NewPassword, Plan};
use crate::auth::{keys, password};
use crate::clock;
use crate::error::{Error, Kind, Result};
use crate::http::Json;
use crate::http::api::accounts::{account_view, load};
use crate::http::api::{channels, webhooks};
use crate::http::housekeeping::flush_usage;
use crate::http::session::{self, AdminSession};
use crate::http::state::AppState;
use crate::messages::model::Channel;
use crate::webhooks::model::{EndpointChangesBody, NewEndpointBody};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

/// Identical for an unknown email and a wrong password, so it reveals no account.
const BAD_CREDENTIALS: &str = "invalid email or password";

/// A header's text, if it is text.
fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The client's address, as the throttles key it (see [`crate::http::client::Edge`]).
fn client_of(state: &AppState, req: &HttpRequest) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let client = state.edge.client(peer, header(req, "x-forwarded-for"));
    client.map(|ip| ip.to_string()).unwrap_or_default()
}

fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    token: String,
    body: serde_json::Value,
) -> HttpResponse {
    let peer = req.peer_addr().map(|a| a.ip());
    let secure = state.edge.https(peer, header(req, "x-forwarded-proto"));
    HttpResponse::Ok()
        .cookie(session::cookie(token, secure))
        .json(body)
}

/// `429` for a throttled attempt.
fn throttled(what: &str, wait: u64) -> Error {
    Error::limited(
        format!("too many {what}; try again in {wait} seconds"),
        wait,
    )
}

/// `GET /admin/api/setup`: whether the server has its owner yet (the page then offers to
/// create the owner account first), and whether anyone else may sign up.
pub async fn setup(state: web::Data<AppState>) -> Result<HttpResponse> {
    let has_owner = store::count_accounts(&*state.pool.get()?)? > 0;
    Ok(HttpResponse::Ok().json(json!({"hasOwner": has_owner, "openSignup": state.signup.open})))
}

pub async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<Credentials>,
) -> Result<HttpResponse> {
    let email = Email::parse(&body.email)?;
    let password = NewPassword::parse(body.password)?;
    let policy = state.signup;
    let closed = || Error::forbidden("sign-up is closed: ask this server's owner for an account");
    // Checked again in the write below; this one spares a closed server the hashing.
    if !policy.open && store::count_accounts(&*state.pool.get()?)? > 0 {
        return Err(closed());
    }
    let client = client_of(&state, &req);
    state
        .login_throttle
        .signups
        .reserve(&client, clock::now())
        .map_err(|wait| throttled("sign-ups from this address", wait))?;
    let place = state.hashing.enter()?;
    let hash = web::block(move || {
        let _place = place;
        password::hash(password.expose())
    })
    .await??;
    let (token, token_digest) = session::new_token();
    let now = clock::now();
    let account = state
        .writer
        .run(move |conn| {
            let existing = store::count_accounts(conn)?;
            if existing > 0 && !policy.open {
                return Err(closed());
            }
            // The first account is the installation's owner.
            let plan = if existing == 0 {
                Plan::Unlimited
            } else {
                policy.plan
            };
            let account = store::create_account(conn, &email, &hash, plan, now)?;
            store::insert_session(
                conn,
                &token_digest,
                account.id,
                now,
                now + session::TTL_SECS,
            )?;
            Ok(account)
        })
        .await?;
    let body = json!({"id": account.id.to_string(), "email": account.email, "plan": account.plan});
    Ok(signed_in(&state, &req, token, body))
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<Credentials>,
) -> Result<HttpResponse> {
    let now = clock::now();
    let email_key = body.email.trim().to_lowercase();
    // Before any work: the throttle keeps emails, and no address is longer.
    if email_key.chars().count() > MAX_EMAIL_CHARS {
        return Err(Error::invalid(format!(
            "email: must be at most {MAX_EMAIL_CHARS} characters"
        )));
    }
    let client = client_of(&state, &req);
    let throttle = &state.login_throttle;
    // Attempts are taken before the hash, so concurrent guesses cannot all pass.
    throttle
        .by_email
        .reserve(&email_key, now)
        .map_err(|wait| throttled("failed logins", wait))?;
    if let Err(wait) = throttle.by_client.reserve(&client, now) {
        throttle.by_email.give_back(&email_key);
        return Err(throttled("failed logins", wait));
    }
    let place = match state.hashing.enter() {
        Ok(place) => place,
        Err(busy) => {
            throttle.by_email.give_back(&email_key);
            throttle.by_client.give_back(&client);
            return Err(busy);
        }
    };

    let found = store::find_account_by_email(&*state.pool.get()?, &email_key)?;
    let password = body.password;
    let account = web::block(move || {
        let _place = place;
        match found {
            Some((account, hash)) if password.chars().count() <= MAX_PASSWORD_CHARS => {
                password::verify(&password, &hash).then_some(account)
            }
            _ => {
                password::verify_nothing();
                None
            }
        }
    })
    .await?;
    let Some(account) = account else {
        return Err(Error::new(Kind::Unauthorized, BAD_CREDENTIALS));
    };
    throttle.by_email.clear(&email_key);
    throttle.by_client.give_back(&client);

    // A fresh token at every login: a session id planted before login is worth nothing.
    let previous = session::presented_digest(&req);
    let (token, token_digest) = session::new_token();
    let account_id = account.id;
    state
        .writer
        .run(move |conn| {
            if let Some(previous) = previous {
                store::delete_session(conn, &previous)?;
            }
            store::insert_session(
                conn,
                &token_digest,
                account_id,
                now,
                now + session::TTL_SECS,
            )
        })
        .await?;
    let body = json!({"id": account.id.to_string(), "email": account.email, "plan": account.plan});
    Ok(signed_in(&state, &req, token, body))
}

/// The body is any JSON object (`{}`): what the JSON content type asks for, read.
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(_): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse> {
    if let Some(token_digest) = session::presented_digest(&req) {
        state
            .writer
            .run(move |conn| store::delete_session(conn, &token_digest))
            .await?;
    }
    Ok(HttpResponse::Ok()
        .cookie(session::removal_cookie())
        .json(json!({"success": true})))
}

pub async fn me(state: web::Data<AppState>, admin: AdminSession) -> Result<HttpResponse> {
    let account = load(&state, admin.account_id)?;
    Ok(HttpResponse::Ok().json(account_view(&state, &account)?))
}

fn key_view(key: &KeyRecord) -> serde_json::Value {
    let time = |t: Option<i64>| t.map(clock::rfc3339);
    json!({
        "id": key.id.to_string(),
        "name": key.name,
        "prefix": key.prefix,
        "createdAt": clock::rfc3339(key.created_at),
        "lastUsedAt": time(key.last_used_at),
        "revokedAt": time(key.revoked_at),
    })
}

pub async fn list_keys(state: web::Data<AppState>, admin: AdminSession) -> Result<HttpResponse> {
    // Last-use times are gathered in memory; write them first so the list is current.
    flush_usage(&state).await?;
    let keys = store::list_keys(&*state.pool.get()?, admin.account_id)?;
    Ok(HttpResponse::Ok().json(keys.iter().map(key_view).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
pub struct NewKeyBody {
    name: Option<String>,
}

pub async fn create_key(
    state: web::Data<AppState>,
    admin: AdminSession,
    Json(body): Json<NewKeyBody>,
) -> Result<HttpResponse> {
    let now = clock::now();
    let issued = state
        .writer
        .run(move |conn| keys::issue(conn, admin.account_id, body.name.as_deref(), now))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "id": issued.record.id.to_string(),
        "name": issued.record.name,
        "prefix": issued.record.prefix,
        "key": issued.secret,
    })))
}

pub async fn revoke_key(
    state: web::Data<AppState>,
    admin: AdminSession,
    key_id: web::Path<i64>,
) -> Result<HttpResponse> {
    let key_id = key_id.into_inner();
    let now = clock::now();
    state
        .writer
        .run(move |conn| store::revoke_key(conn, Some(admin.account_id), key_id, now))
        .await?;
    state.keys.forget_key(key_id);
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// The channel section: every channel's settings, secrets shown only as set or not.
pub async fn list_channels(
    state: web::Data<AppState>,
    admin: AdminSession,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(channels::all(&state, admin.account_id)?))
}

pub async fn put_channel(
    state: web::Data<AppState>,
    admin: AdminSession,
    name: web::Path<String>,
    Json(body): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let view = channels::change(&state, admin.account_id, channel, body).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete_channel(
    state: web::Data<AppState>,
    admin: AdminSession,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let channel = Channel::in_path(&name)?;
    let view = channels::forget(&state, admin.account_id, channel).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn list_webhooks(
    state: web::Data<AppState>,
    admin: AdminSession,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(webhooks::list_for(&state, admin.account_id)?))
}

pub async fn create_webhook(
    state: web::Data<AppState>,
    admin: AdminSession,
    Json(body): Json<NewEndpointBody>,
) -> Result<HttpResponse> {
    let view = webhooks::create_for(&state, admin.account_id, body).await?;
    Ok(HttpResponse::Created().json(view))
}

pub async fn update_webhook(
    state: web::Data<AppState>,
    admin: AdminSession,
    id: web::Path<i64>,
    Json(body): Json<EndpointChangesBody>,
) -> Result<HttpResponse> {
    let view = webhooks::update_for(&state, admin.account_id, id.into_inner(), body).await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete_webhook(
    state: web::Data<AppState>,
    admin: AdminSession,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    let remove = crate::webhooks::store::delete;
    crate::http::delete_by_id(state, admin.account_id, id.into_inner(), remove).await
}

pub async fn test_webhook(
    state: web::Data<AppState>,
    admin: AdminSession,
    id: web::Path<i64>,
    Json(_): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse> {
    let outcome = webhooks::test_for(&state, admin.account_id, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

pub async fn webhook_deliveries(
    state: web::Data<AppState>,
    admin: AdminSession,
    id: web::Path<i64>,
    query: web::Query<webhooks::DeliveriesQuery>,
) -> Result<HttpResponse> {
    let list = webhooks::deliveries_for(
        &state,
        admin.account_id,
        id.into_inner(),
        query.into_inner(),
    )?;
    Ok(HttpResponse::Ok().json(list))
}
