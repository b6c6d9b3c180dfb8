//! `getContacts`, `addContact/{whatsappNumber}` and `updateContactAttributes/{whatsappNumber}`
//! over the contacts store; `getContacts`' filters are evaluated by the segment rule engine.

use super::{liberal, ok};
use crate::clock;
use crate::compat::wati::contacts::{
    AddContactBody, AttributesBody, ContactsQuery, contact, number,
};
use crate::compat::wati::link;
use crate::contacts::bulk;
use crate::contacts::list::{self, ListFilter};
use crate::contacts::model::PersonType;
use crate::contacts::store::{self, Window};
use crate::db;
use crate::error::{Error, Result};
use crate::http::Body;
use crate::http::api::contacts::changes_of;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::segments::model::{Definition, SegmentBody};
use crate::segments::store as segments;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// `GET getContacts?pageSize&pageNumber&name&attribute&createdDate`.
pub async fn get_contacts(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<ContactsQuery>,
) -> Result<HttpResponse> {
    let asked = query.paging.asked()?;
    let filter = query
        .groups()?
        .map(|groups| {
            Definition::parse(SegmentBody {
                name: Some("getContacts".into()),
                groups: Some(groups),
                ..SegmentBody::default()
            })
        })
        .transpose()?;
    let (account, now) = (caller.account_id, clock::now());
    let window = Window {
        after: 0,
        offset: asked.page.offset,
        limit: asked.page.limit,
    };
    // Filters can scan: off the async workers.
    let (total, people) = web::block(move || {
        db::snapshot(&*state.pool.get()?, |conn| {
            let names = &state.attribute_names;
            match &filter {
                Some(def) => {
                    let spare = Some(&state.pool);
                    segments::matching(conn, spare, names, account, def, now, window)
                }
                None => {
                    let (people, total) = list::people(
                        conn,
                        None,
                        names,
                        account,
                        PersonType::Contact,
                        &ListFilter::default(),
                        asked.page,
                    )?;
                    Ok((total, people))
                }
            }
        })
    })
    .await??;
    Ok(ok(json!({
        "result": "success",
        "contact_list": people.iter().map(contact).collect::<Vec<_>>(),
        "link": link(asked, total),
    })))
}

/// A path's `whatsappNumber` as the account's phone rules write it.
pub fn phone(state: &AppState, raw: &str) -> Result<String> {
    state
        .phones
        .normalize(&number(raw))
        .map_err(|e| Error::invalid(format!("whatsappNumber: {e}")))
}

/// `POST addContact/{whatsappNumber}` `{name, customParams}`: the contact with that number,
/// made or updated.
pub async fn add_contact(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let input = liberal::<AddContactBody>(&req, &bytes)?.to_core(phone(&state, &path)?)?;
    let changes = changes_of(&state, input)?;
    let (account, now, names) = (
        caller.account_id,
        clock::now(),
        state.attribute_names.clone(),
    );
    let person = state
        .writer
        .run(move |conn| {
            let (id, _) = bulk::upsert_person(conn, account, PersonType::Contact, changes, now)?;
            store::get(conn, &names, account, PersonType::Contact, id)
        })
        .await?;
    Ok(ok(json!({"result": true, "contact": contact(&person)})))
}

/// `POST updateContactAttributes/{whatsappNumber}` `{customParams}`: merged into the
/// contact's attributes; an unknown number is `{result: false, info}`.
pub async fn update_attributes(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: ApiAccount,
    path: web::Path<String>,
    Body(bytes): Body,
) -> Result<HttpResponse> {
    let phone = phone(&state, &path)?;
    let input = liberal::<AttributesBody>(&req, &bytes)?.to_core()?;
    let changes = changes_of(&state, input)?;
    let (account, now) = (caller.account_id, clock::now());
    let updated = state
        .writer
        .run(
            move |conn| match store::by_phone(conn, account, PersonType::Contact, &phone)? {
                Some(id) => store::update(conn, account, PersonType::Contact, id, &changes, now)
                    .map(|()| true),
                None => Ok(false),
            },
        )
        .await?;
    Ok(ok(match updated {
        true => json!({"result": true}),
        false => json!({"result": false, "info": "whatsappNumber: no contact has this number"}),
    }))
}
