//! The admin page's JSON API (API.md §2): sign-up, login, logout, the account, its keys,
//! its channel settings.

use crate::accounts::routes::{account_view, load};
use crate::accounts::store::{self, KeyRecord};
use crate::accounts::{Email, NewPassword, Plan};
use crate::auth::session::{self, AdminSession};
use crate::auth::{keys, password};
use crate::channels::routes as channels;
use crate::clock;
use crate::error::{ApiError, Result};
use crate::housekeeping::flush_usage;
use crate::http::Json;
use crate::messages::model::Channel;
use crate::state::AppState;
use actix_web::http::StatusCode;
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

fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

fn signed_in(req: &HttpRequest, token: String, body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .cookie(session::cookie(token, is_https(req)))
        .json(body)
}

pub async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<Credentials>,
) -> Result<HttpResponse> {
    let email = Email::parse(&body.email)?;
    let password = NewPassword::parse(body.password)?;
    let policy = state.signup;
    let closed =
        || ApiError::forbidden("sign-up is closed: ask this server's owner for an account");
    // Checked again in the write below; this one spares a closed server the hashing.
    if !policy.open && store::count_accounts(&*state.pool.get()?)? > 0 {
        return Err(closed());
    }
    let hash = web::block(move || password::hash(password.expose())).await??;
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
    Ok(signed_in(&req, token, body))
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    Json(body): Json<Credentials>,
) -> Result<HttpResponse> {
    let now = clock::now();
    let email_key = body.email.trim().to_lowercase();
    let client = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let throttle = &state.login_throttle;
    if let Some(wait) = throttle
        .by_email
        .blocked(&email_key, now)
        .or_else(|| throttle.by_client.blocked(&client, now))
    {
        return Err(ApiError::too_many_requests(
            format!("too many failed logins; try again in {wait} seconds"),
            wait,
        ));
    }

    let found = store::find_account_by_email(&*state.pool.get()?, &email_key)?;
    let password = body.password;
    let account = web::block(move || match found {
        Some((account, hash)) if password.len() <= crate::accounts::model::MAX_PASSWORD_BYTES => {
            password::verify(&password, &hash).then_some(account)
        }
        _ => {
            password::verify_nothing();
            None
        }
    })
    .await?;
    let Some(account) = account else {
        throttle.by_email.fail(&email_key, now);
        throttle.by_client.fail(&client, now);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, BAD_CREDENTIALS));
    };
    throttle.by_email.clear(&email_key);

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
    Ok(signed_in(&req, token, body))
}

pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
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
    Ok(HttpResponse::Ok().json(account_view(&state, &account)))
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
