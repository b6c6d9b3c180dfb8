//! `/v1/templates`: create, list, get, update, delete.

use crate::clock;
use crate::error::Result;
use crate::fields::Page;
use crate::http::auth::ApiAccount;
use crate::http::state::AppState;
use crate::http::{Json, PageQuery, delete_by_id, paged};
use crate::templates::model::{Template, TemplateBody};
use crate::templates::store;
use actix_web::{HttpResponse, web};

pub async fn create(
    state: web::Data<AppState>,
    caller: ApiAccount,
    Json(body): Json<TemplateBody>,
) -> Result<HttpResponse> {
    let template = Template::parse(body)?;
    let (account, now) = (caller.account_id, clock::now());
    let view = state
        .writer
        .run(move |conn| {
            let id = store::insert(conn, account, &template, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn list(
    state: web::Data<AppState>,
    caller: ApiAccount,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let page = Page::new(query.limit, query.page)?;
    let (templates, total) = store::list(&*state.pool.get()?, caller.account_id, page)?;
    Ok(paged(
        templates.iter().map(store::Stored::view).collect(),
        total,
    ))
}

pub async fn get(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(store::get(&*state.pool.get()?, caller.account_id, id.into_inner())?.view()))
}

pub async fn update(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
    Json(body): Json<TemplateBody>,
) -> Result<HttpResponse> {
    let (account, id, now) = (caller.account_id, id.into_inner(), clock::now());
    let view = state
        .writer
        .run(move |conn| {
            let template = store::get(conn, account, id)?.template.updated(body)?;
            store::update(conn, account, id, &template, now)?;
            Ok(store::get(conn, account, id)?.view())
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiAccount,
    id: web::Path<i64>,
) -> Result<HttpResponse> {
    delete_by_id(state, caller.account_id, id.into_inner(), store::delete).await
}
