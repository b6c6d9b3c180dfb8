//! `/api/v1`: Wati's v1 API over the core (docs/wati.md), each route's shapes through
//! [`crate::compat::wati`]. Every failure under the scope, the shared middleware's `401`
//! and `429` and an unknown route's `404` included, answers in Wati's shape
//! `{"result": false, "info"}` ([`in_wati_shape`]), with the status the native API gives it.

pub mod contacts;
pub mod messages;
pub mod segments;
pub mod templates;

use crate::compat::wati;
use crate::error::{Error, Result};
use crate::http::json;
use actix_web::body::{self, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::de::DeserializeOwned;

const FORM: &str = "application/x-www-form-urlencoded";

/// Error bodies longer than this are not read for their message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Rewrites every error answer of the scope in Wati's shape, keeping its status and headers
/// (`Retry-After`, the rate-limit headers).
pub async fn in_wati_shape(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> std::result::Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return Ok(res.map_into_left_body());
    }
    let (request, response) = res.into_parts();
    let mut rewritten = HttpResponse::build(status);
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.append_header((name.clone(), value.clone()));
        }
    }
    let bytes: Option<web::Bytes> =
        match body::to_bytes_limited(response.into_body(), ERROR_BODY_LIMIT).await {
            Ok(Ok(bytes)) => Some(bytes),
            _ => None,
        };
    let message = bytes
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_string());
    let rewritten = rewritten.json(wati::refused(&message));
    Ok(ServiceResponse::new(request, rewritten).map_into_right_body())
}

/// A body as Wati clients send it: JSON, a URL-encoded form, or nothing at all.
pub fn liberal<T: DeserializeOwned + Default>(req: &HttpRequest, bytes: &[u8]) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if req.content_type() == FORM {
        let text =
            std::str::from_utf8(bytes).map_err(|_| Error::invalid("body: a form must be UTF-8"))?;
        return web::Query::<T>::from_query(text)
            .map(web::Query::into_inner)
            .map_err(|e| Error::invalid(format!("body: {e}")));
    }
    json::parse(bytes)
}

/// `{"result": true, …}` as an answer.
fn ok(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().json(body)
}
