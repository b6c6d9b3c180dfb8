//! The HTTP edge: everything that knows about requests and answers. Below it, the domain
//! rooms (contacts, segments, messages, delivery, …) know nothing of HTTP.
//!
//! * [`routes`] lists every route, and [`openapi`] describes them (`/openapi.json`, `/docs`).
//! * [`api`] holds the handlers, one file per resource, and the other vendors' dialects;
//!   [`admin`] the admin page and its JSON API.
//! * [`auth`] admits API keys (and counts quotas); [`session`] admin sessions; [`client`]
//!   who is on the other end (trusted proxies).
//! * [`state`] is what every handler can reach; [`housekeeping`] the server's chores.
//! * This file, [`json`], [`spool`] and [`upload`]: the JSON body extractor, query-string
//!   errors, the catch-all 404, the health check, the CSRF guard of the admin API, spooled
//!   uploads, multipart forms.

pub mod admin;
pub mod api;
pub mod auth;
pub mod client;
pub mod errors;
pub mod housekeeping;
pub mod json;
pub mod openapi;
pub mod routes;
pub mod session;
pub mod spool;
pub mod state;
pub mod upload;

pub use json::{Body, Json};

use crate::error::{Error, Kind};
use crate::http::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, web};

/// Bodies of ordinary requests (docs/api.md). Imports set their own, larger limit.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Query strings that do not parse: `400` naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _| Error::invalid(format!("query string: {err}")).into())
}

/// Path parameters that do not parse (`/keys/abc` where an id is due) name nothing that
/// exists: `404`.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_, req| Error::not_found(format!("nothing at {}", req.path())).into())
}

/// Data the app factory gave this worker (`app_data`), borrowed rather than cloned.
pub fn worker_data<T: 'static>(req: &HttpRequest) -> Result<&T, Error> {
    req.app_data::<T>()
        .ok_or_else(|| Error::internal(format!("{} missing", std::any::type_name::<T>())))
}

pub async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, Error> {
    Err(Error::not_found(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// `GET /health`: no key needed; answers once the database does.
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let conn = state.pool.get()?;
    conn.query_row("SELECT 1", [], |_| Ok(()))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
    })))
}

/// Mutating admin calls must carry `Content-Type: application/json`. A cross-site HTML form
/// cannot send that type, and a cross-site script cannot send it without a CORS preflight,
/// which this server never grants: so no other site can act with an admin's cookie.
/// `DELETE` needs no body: no cross-site request can use that method without a preflight.
pub async fn require_json_for_mutations(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    // Other methods (TRACE, …) change nothing here: they meet the route's 405.
    let mutating = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if mutating && !is_json(req.headers()) {
        return Err(Error::new(
            Kind::UnsupportedType,
            "Content-Type must be application/json",
        )
        .into());
    }
    next.call(req).await
}

fn is_json(headers: &header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// A response body fed chunk by chunk from another thread through a bounded channel, so a
/// large export never sits in memory whole.
pub struct ChannelBody(pub tokio::sync::mpsc::Receiver<Result<web::Bytes, Error>>);

impl futures_core::Stream for ChannelBody {
    type Item = Result<web::Bytes, Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// `DELETE …/{id}` of one of the caller's records: `remove` in one write, then
/// `{"success": true}`.
pub async fn delete_by_id(
    state: web::Data<AppState>,
    account_id: i64,
    id: i64,
    remove: fn(&rusqlite::Connection, i64, i64) -> crate::error::Result<()>,
) -> Result<HttpResponse, Error> {
    state
        .writer
        .run(move |conn| remove(conn, account_id, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"success": true})))
}

/// `limit` and `page` of a list request.
#[derive(Debug, serde::Deserialize)]
pub struct PageQuery {
    pub limit: Option<u32>,
    pub page: Option<u32>,
}

/// A list answer: the bare array, and the total in `X-Total-Count` (docs/api.md).
pub fn paged<T: serde::Serialize>(items: Vec<T>, total: i64) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("x-total-count", total.to_string()))
        .json(items)
}
