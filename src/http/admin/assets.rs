//! The admin page's files, compiled into the binary so the server ships as one file.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, middleware::DefaultHeaders};

const INDEX_HTML: &str = include_str!("../../../static/admin/index.html");
const ADMIN_JS: &str = include_str!("../../../static/admin/admin.js");
const WEBHOOKS_JS: &str = include_str!("../../../static/admin/webhooks.js");
const BROADCASTS_JS: &str = include_str!("../../../static/admin/broadcasts.js");
const ADMIN_CSS: &str = include_str!("../../../static/admin/admin.css");

/// Only our own script, style and API; no inline code, no framing, no form posts anywhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; \
     frame-ancestors 'none'; base-uri 'none'";

/// Headers of every `/admin` response, page and API alike.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::CACHE_CONTROL, "no-store"))
}

pub async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(INDEX_HTML)
}

pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(ADMIN_JS)
}

/// The Webhooks section's script.
pub async fn webhooks_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(WEBHOOKS_JS)
}

/// The Templates and Broadcasts sections' script.
pub async fn broadcasts_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(BROADCASTS_JS)
}

pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(ADMIN_CSS)
}
