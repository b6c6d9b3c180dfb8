//! `POST /api/v1/createCustomSegment`: the body through [`crate::compat::wati::segments`]
//! onto the segment store.

use crate::clock;
use crate::compat::wati::segments::{self as wati, CustomSegment};
use crate::contacts::model::PersonType;
use crate::error::Result;
use crate::http::Body;
use crate::http::auth::ApiAccount;
use crate::http::json;
use crate::http::state::AppState;
use crate::segments::store;
use actix_web::{HttpResponse, web};

pub async fn create_custom_segment(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Body(bytes): Body,
) -> Result<HttpResponse> {
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
    Ok(HttpResponse::Ok().json(wati::created(id, &name)))
}
