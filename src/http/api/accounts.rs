//! `GET /v1/account`: the calling key's account, plan, limits and usage. Not in the vendor
//! APIs; it lets a client check its key and quota (and the admin page shows the same).

use crate::accounts::store::{self, Account};
use crate::clock;
use crate::error::{Error, Result};
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

/// The account as `GET /v1/account` and `GET /admin/api/me` show it: limits, and what is
/// used of each (requests today and this minute, people and messages stored).
pub fn account_view(state: &AppState, account: &Account) -> Result<Value> {
    let (today, this_minute) = state.limiter.usage(account.id, clock::now());
    let stored = store::stored(&*state.pool.get()?, account.id)?;
    Ok(json!({
        "id": account.id.to_string(),
        "email": account.email,
        "plan": account.plan,
        "limits": account.limits(),
        "usage": {"today": today, "thisMinute": this_minute,
                  "contacts": stored.people, "messages": stored.messages},
        "createdAt": clock::rfc3339(account.created_at),
    }))
}

pub fn load(state: &AppState, account_id: i64) -> Result<Account> {
    let conn = state.pool.get()?;
    // A valid session or key names an existing account; if it vanished, the caller is no one.
    store::get_account(&conn, account_id)?.ok_or_else(Error::unauthorized)
}

pub async fn get_account(state: web::Data<AppState>, caller: ApiAccount) -> Result<HttpResponse> {
    let account = load(&state, caller.account_id)?;
    Ok(HttpResponse::Ok().json(account_view(&state, &account)?))
}
