//! Every route the server answers, as data: method, path, handler, grouped by scope. The
//! server registers these lists, and a test checks that the OpenAPI description
//! ([`crate::http::openapi`]) covers exactly them. A known path asked with another method
//! answers `405` with `Allow`.

use crate::contacts::model::PersonType;
use crate::error::{Error, Kind};
use crate::http::admin::{assets, campaigns, routes as admin};
use crate::http::api::{
    accounts, broadcasts, channels, contacts, locations, messages, provider_hooks, segmenter,
    segments, templates, wati, webhooks,
};
use crate::http::auth::authenticate;
use crate::http::openapi;
use crate::http::{self, require_json_for_mutations};
use actix_web::http::{Method, header};
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, Route, Scope, web};

pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: Route,
}

impl Endpoint {
    /// The admin API's CSRF guard, on the route rather than the scope: a method the path
    /// lacks meets its 405 first.
    fn json_only(self) -> Endpoint {
        Endpoint {
            route: self.route.wrap(from_fn(require_json_for_mutations)),
            ..self
        }
    }
}

fn endpoint<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint {
        route: web::method(method.clone()).to(handler),
        method,
        path,
    }
}

macro_rules! verb {
    ($name:ident, $method:ident) => {
        fn $name<F, Args>(path: &'static str, handler: F) -> Endpoint
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            endpoint(Method::$method, path, handler)
        }
    };
}
verb!(get, GET);
verb!(post, POST);
verb!(put, PUT);
verb!(delete, DELETE);

/// One resource per path, in the order paths first appear (actix tries them in order), each
/// answering `405` with `Allow` for the methods it lacks.
fn resources(endpoints: Vec<Endpoint>) -> Vec<Resource> {
    let mut paths: Vec<(&'static str, Vec<Endpoint>)> = Vec::new();
    for e in endpoints {
        match paths.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, list)) => list.push(e),
            None => paths.push((e.path, vec![e])),
        }
    }
    paths
        .into_iter()
        .map(|(path, list)| {
            let allow = list
                .iter()
                .map(|e| e.method.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let mut resource = web::resource(path).default_service(web::to(move || {
                let allow = allow.clone();
                async move {
                    let error = Error::new(Kind::MethodNotAllowed, format!("use {allow}"));
                    let mut response = actix_web::ResponseError::error_response(&error);
                    response.headers_mut().insert(
                        header::ALLOW,
                        header::HeaderValue::from_str(&allow).expect("method names are ASCII"),
                    );
                    response
                }
            }));
            for e in list {
                resource = resource.route(e.route);
            }
            resource
        })
        .collect()
}

fn scope(prefix: &str, endpoints: Vec<Endpoint>) -> Scope {
    resources(endpoints)
        .into_iter()
        .fold(web::scope(prefix), Scope::service)
        .default_service(web::to(http::not_found))
}

fn root() -> Vec<Endpoint> {
    vec![
        get("/health", http::health),
        get("/", || async {
            HttpResponse::Found()
                .insert_header(("location", "/admin"))
                .finish()
        }),
        get("/openapi.json", openapi::document),
        get("/docs", openapi::page),
        get("/docs/docs.js", openapi::script),
    ]
}

fn admin_api() -> Vec<Endpoint> {
    vec![
        get("/setup", admin::setup),
        post("/signup", admin::signup),
        post("/login", admin::login),
        post("/logout", admin::logout),
        get("/me", admin::me),
        get("/keys", admin::list_keys),
        post("/keys", admin::create_key),
        delete("/keys/{id}", admin::revoke_key),
        get("/channels", admin::list_channels),
        put("/channels/{channel}", admin::put_channel),
        delete("/channels/{channel}", admin::delete_channel),
        get("/webhooks", admin::list_webhooks),
        post("/webhooks", admin::create_webhook),
        put("/webhooks/{id}", admin::update_webhook),
        delete("/webhooks/{id}", admin::delete_webhook),
        post("/webhooks/{id}/test", admin::test_webhook),
        get("/webhooks/{id}/deliveries", admin::webhook_deliveries),
        get("/templates", campaigns::list_templates),
        post("/templates/sync", campaigns::sync_templates),
        get("/broadcasts", campaigns::list_broadcasts),
        get("/broadcasts/{id}/report", campaigns::broadcast_report),
        get(
            "/broadcasts/{id}/recipients",
            campaigns::broadcast_recipients,
        ),
    ]
}

fn admin_page() -> Vec<Endpoint> {
    vec![
        get("", assets::index),
        get("/", assets::index),
        get("/admin.js", assets::script),
        get("/webhooks.js", assets::webhooks_script),
        get("/broadcasts.js", assets::broadcasts_script),
        get("/admin.css", assets::style),
    ]
}

fn v1() -> Vec<Endpoint> {
    vec![
        get("/account", accounts::get_account),
        get("/tags", contacts::list_tags),
        post("/locations", locations::create),
        get("/locations", locations::list),
        get("/locations/{id}", locations::get),
        put("/locations/{id}", locations::update),
        delete("/locations/{id}", locations::delete),
        post("/segments", segments::create),
        get("/segments", segments::list),
        post("/segments/preview", segments::preview),
        get("/segments/{id}", segments::get),
        put("/segments/{id}", segments::update),
        delete("/segments/{id}", segments::delete),
        get("/segments/{id}/contacts", segments::members),
        post("/segments/{id}/contacts", segments::add_members),
        delete("/segments/{id}/contacts", segments::remove_members),
        get("/segments/{id}/count", segments::count),
        post("/templates", templates::create),
        post("/templates/sync", templates::sync),
        get("/templates", templates::list),
        get("/templates/{id}", templates::get),
        put("/templates/{id}", templates::update),
        delete("/templates/{id}", templates::delete),
        post("/messages/{channel}/receive", messages::receive),
        post("/messages/{id}/cancel", messages::cancel),
        post("/messages/{channel}/{action}", messages::send),
        get("/messages/{contactId}", messages::log),
        get("/channels/{channel}", channels::get),
        put("/channels/{channel}", channels::put),
        delete("/channels/{channel}", channels::delete),
        post("/broadcasts", broadcasts::create),
        get("/broadcasts", broadcasts::list),
        get("/broadcasts/{id}", broadcasts::get),
        post("/broadcasts/{id}/pause", broadcasts::pause),
        post("/broadcasts/{id}/resume", broadcasts::resume),
        post("/broadcasts/{id}/cancel", broadcasts::cancel),
        get("/broadcasts/{id}/messages", broadcasts::messages),
        get("/broadcasts/{id}/report", broadcasts::report),
        get("/broadcasts/{id}/recipients", broadcasts::recipients),
        post("/webhooks", webhooks::create),
        get("/webhooks", webhooks::list),
        get("/webhooks/{id}", webhooks::get),
        put("/webhooks/{id}", webhooks::update),
        delete("/webhooks/{id}", webhooks::delete),
        post("/webhooks/{id}/rotate-secret", webhooks::rotate_secret),
        post("/webhooks/{id}/test", webhooks::test),
        get("/webhooks/{id}/deliveries", webhooks::deliveries),
        post("/webhooks/{id}/replay", webhooks::replay),
    ]
}

/// `/v1/contacts` and `/v1/clients`: the same routes over the two person types.
fn people() -> Vec<Endpoint> {
    vec![
        post("/import", contacts::import),
        get("/export", contacts::export),
        post("", contacts::create),
        get("", contacts::list),
        get("/{id}", contacts::get),
        put("/{id}", contacts::update),
        delete("/{id}", contacts::delete),
        post("/{id}/tags", contacts::add_tags),
        delete("/{id}/tags", contacts::remove_tags),
    ]
}

/// Wati's v1 API (docs/wati.md).
fn wati() -> Vec<Endpoint> {
    vec![
        post(
            "/createCustomSegment",
            wati::segments::create_custom_segment,
        ),
        get("/getContacts", wati::contacts::get_contacts),
        post("/addContact/{whatsappNumber}", wati::contacts::add_contact),
        post(
            "/updateContactAttributes/{whatsappNumber}",
            wati::contacts::update_attributes,
        ),
        get(
            "/getMessages/{whatsappNumber}",
            wati::messages::get_messages,
        ),
        post(
            "/sendSessionMessage/{whatsappNumber}",
            wati::messages::send_session_message,
        ),
        post(
            "/sendSessionFileViaUrl/{whatsappNumber}",
            wati::messages::send_file_via_url,
        ),
        post(
            "/sendSessionFile/{whatsappNumber}",
            wati::messages::send_session_file,
        ),
        get("/getMedia", wati::messages::get_media),
        get("/getMessageTemplates", wati::templates::get_templates),
        post(
            "/sendTemplateMessage",
            wati::templates::send_template_message,
        ),
        post(
            "/sendTemplateMessage/{whatsappNumber}",
            wati::templates::send_template_message_to,
        ),
        post(
            "/sendTemplateMessages",
            wati::templates::send_template_messages,
        ),
        post(
            "/sendTemplateMessageCSV",
            wati::templates::send_template_message_csv,
        ),
    ]
}

fn provider_hooks() -> Vec<Endpoint> {
    vec![
        post("/telegram/{accountId}", provider_hooks::telegram_update),
        // WhatsApp, Messenger and Instagram: Meta's check and signed callbacks.
        get("/{channel}/{accountId}", provider_hooks::meta_verify),
        post("/{channel}/{accountId}", provider_hooks::meta_events),
    ]
}

fn segmenter() -> Vec<Endpoint> {
    vec![
        post("/segments", segmenter::create),
        put("/segments/{id}", segmenter::update),
        get("/segments/{id}", segmenter::get),
    ]
}

/// Who may call a scope's routes.
#[derive(Clone, Copy)]
enum Access {
    /// An API key (and the account's rate limits).
    ApiKey,
    /// The admin session cookie; mutations must be JSON (the CSRF guard).
    AdminApi,
    /// The admin page's files, with its security headers.
    AdminPage,
    /// Anyone: provider webhooks, checked by their own signatures.
    Public,
}

struct Group {
    prefix: &'static str,
    access: Access,
    /// The person type of `/v1/contacts` and `/v1/clients`.
    kind: Option<PersonType>,
    /// Failures answer in Wati's shape (`/api/v1`), not the contract's.
    wati_errors: bool,
    endpoints: Vec<Endpoint>,
}

fn group(prefix: &'static str, access: Access, endpoints: Vec<Endpoint>) -> Group {
    Group {
        prefix,
        access,
        kind: None,
        wati_errors: false,
        endpoints,
    }
}

/// The scopes, in the order they are tried: the API first, where the hot requests are (a
/// contact read failed eight matches when the admin scopes and root paths came first).
/// `/v1/contacts` and `/v1/clients` must stay before `/v1`.
fn groups() -> Vec<Group> {
    let people = |prefix, kind| Group {
        kind: Some(kind),
        ..group(prefix, Access::ApiKey, people())
    };
    vec![
        people("/v1/contacts", PersonType::Contact),
        people("/v1/clients", PersonType::Client),
        group("/v1", Access::ApiKey, v1()),
        Group {
            wati_errors: true,
            ..group("/api/v1", Access::ApiKey, wati())
        },
        group("/webhooks", Access::Public, provider_hooks()),
        group("/segmenter", Access::ApiKey, segmenter()),
        group("/admin/api", Access::AdminApi, admin_api()),
        group("/admin", Access::AdminPage, admin_page()),
    ]
}

/// Every endpoint as (method, full path): what the OpenAPI description must cover.
pub fn table() -> Vec<(Method, String)> {
    let root = root().into_iter().map(|e| (e.method, e.path.to_string()));
    let scoped = groups().into_iter().flat_map(|g| {
        g.endpoints
            .into_iter()
            .map(move |e| (e.method, format!("{}{}", g.prefix, e.path)))
    });
    root.chain(scoped).collect()
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(http::query_config())
        .app_data(http::path_config());
    for g in groups() {
        let endpoints = match g.access {
            Access::AdminApi => g.endpoints.into_iter().map(Endpoint::json_only).collect(),
            _ => g.endpoints,
        };
        let mut scope = scope(g.prefix, endpoints);
        if let Some(kind) = g.kind {
            scope = scope.app_data(kind);
        }
        match g.access {
            Access::ApiKey if g.wati_errors => cfg.service(
                scope
                    .wrap(from_fn(authenticate))
                    .wrap(from_fn(wati::in_wati_shape)),
            ),
            Access::ApiKey => cfg.service(scope.wrap(from_fn(authenticate))),
            Access::AdminApi | Access::AdminPage => {
                cfg.service(scope.wrap(assets::security_headers()))
            }
            Access::Public => cfg.service(scope),
        };
    }
    // After the scopes, for the order's sake (see `groups`); none of them overlaps a scope.
    for resource in resources(root()) {
        cfg.service(resource);
    }
    cfg.default_service(web::to(http::not_found));
}
