//! The OpenAPI 3.1 description of every route, served at `/openapi.json`, and a readable
//! page at `/docs` that renders it in the browser (embedded, no CDN). Kept beside the
//! routes rather than derived from the types: the handlers take serde types whose rules
//! live in code, and a test checks that the description and [`crate::http::routes::table`]
//! name the same operations.

mod beyond;
mod inputs;
mod paths;
mod schemas;
mod wati;

use crate::http::admin::assets::CONTENT_SECURITY_POLICY;
use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentType};
use serde_json::{Value, json};
use std::sync::OnceLock;

const DOCS_HTML: &str = include_str!("../../../static/docs/index.html");
const DOCS_JS: &str = include_str!("../../../static/docs/docs.js");

/// The description as a value (built once).
pub fn description() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Switchboard",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "A self-hosted customer-messaging API: contacts and clients, segments, templates, \
                    messages on WhatsApp, Telegram, Instagram and Messenger, and broadcasts. Errors are \
                    {statusCode, error, message}; lists are bare arrays with X-Total-Count; ids are strings."
            },
            "servers": [{"url": "/"}],
            "paths": paths::all(),
            "components": {
                "schemas": schemas::all(),
                "securitySchemes": {
                    "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key",
                               "description": "An API key from the admin page."},
                    "bearer": {"type": "http", "scheme": "bearer",
                               "description": "The same key as Authorization: Bearer <key>."},
                    "session": {"type": "apiKey", "in": "cookie", "name": "sb_session",
                                "description": "The admin page's session, set by signup and login."}
                }
            }
        })
    })
}

/// `GET /openapi.json`
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(description())
}

/// `GET /docs`
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .body(DOCS_HTML)
}

/// `GET /docs/docs.js`
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(DOCS_JS)
}
