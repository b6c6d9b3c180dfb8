//! Admin page sessions: a random token in an `HttpOnly; SameSite=Strict` cookie scoped to
//! `/admin`, its digest in the database. A new token is issued at every login.

use crate::accounts::store;
use crate::auth::{digest, random_hex};
use crate::clock::{self, Timestamp};
use crate::error::Error;
use crate::http::state::AppState;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use std::future::{Ready, ready};

pub const COOKIE: &str = "sb_session";
pub const TTL_SECS: Timestamp = 12 * 3600;

/// A signed-in admin, taken from the session cookie.
#[derive(Debug, Clone, Copy)]
pub struct AdminSession {
    pub account_id: i64,
    pub token_digest: [u8; 32],
}

impl FromRequest for AdminSession {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(session_of(req))
    }
}

fn session_of(req: &HttpRequest) -> Result<AdminSession, Error> {
    let token = req.cookie(COOKIE).ok_or_else(Error::unauthorized)?;
    let token_digest = digest(token.value());
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| Error::internal("application state missing"))?;
    // A point read by primary key: cheap enough for the async worker.
    let conn = state.pool.get()?;
    let account_id = store::session_account(&conn, &token_digest, clock::now())?
        .ok_or_else(Error::unauthorized)?;
    Ok(AdminSession {
        account_id,
        token_digest,
    })
}

/// A fresh session token and its digest.
pub fn new_token() -> (String, [u8; 32]) {
    let token = random_hex(32);
    let d = digest(&token);
    (token, d)
}

/// The session digest presented with this request, if any (to end it at a new login).
pub fn presented_digest(req: &HttpRequest) -> Option<[u8; 32]> {
    req.cookie(COOKIE).map(|c| digest(c.value()))
}

pub fn cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, token)
        .path("/admin")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(Duration::seconds(TTL_SECS))
        .finish()
}

pub fn removal_cookie() -> Cookie<'static> {
    let mut c = cookie(String::new(), false);
    c.make_removal();
    c
}
