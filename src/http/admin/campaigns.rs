//! The admin page's Templates and Broadcasts sections: the same answers as the API's, for
//! the signed-in account.

use crate::error::Result;
use crate::http::api::{broadcasts, templates};
use crate::http::session::AdminSession;
use crate::http::state::AppState;
use crate::http::{Json, PageQuery};
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn list_templates(
    state: web::Data<AppState>,
    admin: AdminSession,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    templates::list_for(&state, admin.account_id, &query)
}

pub async fn sync_templates(
    state: web::Data<AppState>,
    admin: AdminSession,
    Json(_): Json<serde_json::Map<String, serde_json::Value>>,
) -> Result<HttpResponse> {
    templates::sync_for(&state, admin.account_id).await
}

pub async fn list_broadcasts(
    state: web::Data<AppState>,
    admin: AdminSession,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    broadcasts::list_for(&state, admin.account_id, &query)
}

pub async fn broadcast_report(
    state: web::Data<AppState>,
    admin: AdminSession,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    broadcasts::report_for(&state, admin.account_id, id.into_inner())
}

/// A broadcast's recipients: the page's "download failed recipients" link (CSV).
pub async fn broadcast_recipients(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: AdminSession,
    id: web::Path<i64>,
    query: web::Query<broadcasts::RecipientsQuery>,
) -> Result<HttpResponse> {
    broadcasts::recipients_for(&req, &state, admin.account_id, id.into_inner(), &query)
}
