//! Wati's `POST /api/v1/createCustomSegment`: the body through [`crate::compat::wati`] onto
//! the segment store. Every failure answers Wati's shape with the status the native API
//! would give it: 400 for the seed's cases, 500 only for a fault of ours.

use crate::clock;
use crate::compat::wati::{self, CustomSegment};
use crate::contacts::model::PersonType;
use crate::error::Result;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{errors, json};
use crate::segments::store;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn create_custom_segment(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    payload: web::Payload,
) -> HttpResponse {
    match create(req, state, caller, payload).await {
        Ok(answer) => HttpResponse::Ok().json(answer),
        Err(e) => errors::answer(&e, wati::refused(&e)),
    }
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    payload: web::Payload,
) -> Result<serde_json::Value> {
    let bytes = json::read(&req, payload).await?;
    let asked = json::parse::<CustomSegment>(&bytes)?.to_core()?;
    let (account, now, limit) = (caller.account_id, clock::now(), caller.limits.segments);
    let name = asked.definition.name.clone();
    let id = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &asked.definition, now, limit)?;
            if let Some(rule) = &asked.freeze {
                store::freeze(conn, account, id, PersonType::Contact, rule, now)?;
            }
            Ok(id)
        })
        .await?;
    Ok(wati::created(id, &name))
}
