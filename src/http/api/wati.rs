//! Wati's `POST /api/v1/createCustomSegment` (seed 001, API.md §5.2). Every failure answers
//! Wati's shape, `{"result": false, "info": "<message>"}`: 400 for the seed's cases, 500 only
//! for a fault of ours.

use crate::clock;
use crate::contacts::model::PersonType;
use crate::error::{Error, Result};
use crate::fields::Id;
use crate::http::auth::ApiAccount;
use crate::http::errors;
use crate::http::state::AppState;
use crate::http::{BODY_LIMIT, json};
use crate::segments::model::{Definition, MAX_CONTACT_IDS, SegmentBody};
use crate::segments::rules::Rule;
use crate::segments::store;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WatiSegment {
    name: Option<String>,
    refresh_type: Option<Value>,
    groups: Option<Value>,
    contact_ids: Option<Vec<Id>>,
    /// Accepted for compatibility; uploaded-contact logic belongs to Wati's CDP.
    #[allow(dead_code)]
    use_uploaded_contact: Option<bool>,
}

pub async fn create_custom_segment(
    state: web::Data<AppState>,
    caller: ApiAccount,
    payload: web::Payload,
) -> HttpResponse {
    match create(state, caller, payload).await {
        Ok(info) => HttpResponse::Ok().json(json!({"result": true, "info": info})),
        Err(e) => errors::answer(&e, json!({"result": false, "info": e.message})),
    }
}

async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    payload: web::Payload,
) -> Result<Value> {
    let bytes = payload
        .to_bytes_limited(BODY_LIMIT)
        .await
        .map_err(|_| Error::too_large(BODY_LIMIT))?
        .map_err(|e| Error::invalid(format!("could not read the request body: {e}")))?;
    let body: WatiSegment = json::parse(&bytes)?;

    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| Error::invalid("name is required"))?;
    let dynamic = match body.refresh_type.as_ref().and_then(Value::as_i64) {
        Some(1) => false,
        Some(2) => true,
        _ => {
            return Err(Error::invalid(
                "refreshType must be 1 (static) or 2 (dynamic)",
            ));
        }
    };
    let groups = body
        .groups
        .filter(|g| !matches!(g, Value::Null) && *g != json!([]));
    let contact_ids = body.contact_ids.unwrap_or_default();
    if dynamic && groups.is_none() {
        return Err(Error::invalid(
            "a dynamic segment (refreshType 2) needs groups",
        ));
    }
    if !dynamic && groups.is_none() && contact_ids.is_empty() {
        return Err(Error::invalid(
            "a static segment (refreshType 1) needs groups or contactIds",
        ));
    }
    if contact_ids.len() > MAX_CONTACT_IDS {
        return Err(Error::invalid(format!(
            "contactIds: at most {MAX_CONTACT_IDS} at once"
        )));
    }
    // A static segment with groups is frozen: today's matches become its members.
    let freeze = match (&groups, dynamic) {
        (Some(g), false) => Some(Rule::parse(g, None, "")?),
        _ => None,
    };
    let def = Definition::parse(SegmentBody {
        name: Some(name),
        groups: groups.filter(|_| dynamic),
        contact_ids: (!dynamic).then_some(contact_ids),
        ..SegmentBody::default()
    })?;
    let (account, now, limit) = (caller.account_id, clock::now(), caller.limits.segments);
    let name = def.name.clone();
    let id = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &def, now, limit)?;
            if let Some(rule) = &freeze {
                store::freeze(conn, account, id, PersonType::Contact, rule, now)?;
            }
            Ok(id)
        })
        .await?;
    Ok(json!({"id": id.to_string(), "name": name}))
}
