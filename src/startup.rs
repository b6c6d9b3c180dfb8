//! Builds the application: opens the database, wires the routes, binds the listener.
//! `main` and the integration tests start the server through the same [`Application`].

use crate::accounts::{self, store};
use crate::admin::{assets, routes as admin};
use crate::auth::api::authenticate;
use crate::auth::keys::KeyCache;
use crate::auth::throttle::LoginThrottle;
use crate::broadcasts::routes as broadcasts;
use crate::channels::routes as channels;
use crate::channels::webhooks;
use crate::clock::{self, day_of};
use crate::compat::{segmenter, wati};
use crate::config::Config;
use crate::contacts::model::PersonType;
use crate::contacts::phone::PhoneRules;
use crate::contacts::routes as contacts;
use crate::http::{self, require_json_for_mutations};
use crate::idempotency::InFlight;
use crate::locations::routes as locations;
use crate::messages::delivery::{self, Outbox, Transports};
use crate::messages::routes as messages;
use crate::ratelimit::RateLimiter;
use crate::segments::routes as segments;
use crate::state::AppState;
use crate::templates::routes as templates;
use crate::{db, housekeeping};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Logger, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::time::Duration;

pub struct Application {
    server: Server,
    port: u16,
    state: web::Data<AppState>,
    transports: Transports,
    delivery: delivery::Settings,
    shutdown_timeout: Duration,
}

impl Application {
    pub fn build(config: &Config) -> Result<Application, String> {
        let (pool, writer) = db::open(&config.db)?;
        let (epoch, today, counts) = {
            let conn = pool.get().map_err(|e| e.to_string())?;
            let today = day_of(clock::now());
            let counts = store::usage_of_day(&conn, today).map_err(|e| e.message)?;
            (
                store::auth_epoch(&conn).map_err(|e| e.message)?,
                today,
                counts,
            )
        };
        let limiter = RateLimiter::default();
        limiter.load_day(today, &counts);
        let state = web::Data::new(AppState {
            pool,
            writer,
            keys: KeyCache::new(epoch),
            limiter,
            login_throttle: LoginThrottle::default(),
            signup: config.signup,
            phones: PhoneRules::new(config.default_region.as_deref())
                .map_err(|e| format!("default region: {e}"))?,
            outbox: Outbox::default(),
            idempotency: InFlight::default(),
            opt_words: config.opt_words.clone(),
        });

        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(request_logger())
                .app_data(app_state.clone())
                .configure(routes)
        })
        .listen(listener)
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?
        .shutdown_timeout(config.shutdown_timeout);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        if !config.handle_signals {
            server = server.disable_signals();
        }
        Ok(Application {
            server: server.run(),
            port,
            state,
            transports: config.transports.clone(),
            delivery: config.delivery,
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn has_accounts(&self) -> bool {
        self.state
            .pool
            .get()
            .ok()
            .and_then(|conn| store::count_accounts(&conn).ok())
            .is_some_and(|n| n > 0)
    }

    /// Serves until stopped (signal or handle), lets in-flight requests finish, then writes
    /// the counters and lets the writer commit what it holds.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let chores = tokio::spawn(housekeeping::run(self.state.clone()));
        let mut delivery = tokio::spawn(delivery::run(
            self.state.clone(),
            self.transports,
            self.delivery,
        ));
        let served = self.server.await;
        chores.abort();
        // Let the worker finish the sends in hand; past the timeout, the ones still with a
        // transport are reported as interrupted at the next start (see messages::delivery).
        self.state.outbox.stop();
        if tokio::time::timeout(self.shutdown_timeout, &mut delivery)
            .await
            .is_err()
        {
            log::warn!("stopping with messages still being handed to their channels");
            delivery.abort();
        }
        if let Err(e) = housekeeping::flush_usage(&self.state).await {
            log::error!("could not save request counts at shutdown: {e}");
        }
        self.state.writer.shutdown();
        log::info!("stopped");
        served
    }
}

/// Logs method, path without the query string (it may carry secrets) and status.
fn request_logger() -> Logger {
    Logger::new(r#"%a "%{method}xi %U" %s %b %Dms"#)
        .custom_request_replace("method", |req| req.method().to_string())
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(http::query_config())
        .app_data(http::path_config())
        .route("/health", web::get().to(http::health))
        .route(
            "/",
            web::get().to(|| async {
                HttpResponse::Found()
                    .insert_header(("location", "/admin"))
                    .finish()
            }),
        )
        .service(
            web::scope("/admin/api")
                .wrap(from_fn(require_json_for_mutations))
                .wrap(assets::security_headers())
                .route("/signup", web::post().to(admin::signup))
                .route("/login", web::post().to(admin::login))
                .route("/logout", web::post().to(admin::logout))
                .route("/me", web::get().to(admin::me))
                .route("/keys", web::get().to(admin::list_keys))
                .route("/keys", web::post().to(admin::create_key))
                .route("/keys/{id}", web::delete().to(admin::revoke_key))
                .route("/channels", web::get().to(admin::list_channels))
                .route("/channels/{channel}", web::put().to(admin::put_channel))
                .route(
                    "/channels/{channel}",
                    web::delete().to(admin::delete_channel),
                )
                .default_service(web::to(http::not_found)),
        )
        .service(
            web::scope("/admin")
                .wrap(assets::security_headers())
                .route("", web::get().to(assets::index))
                .route("/", web::get().to(assets::index))
                .route("/admin.js", web::get().to(assets::script))
                .route("/admin.css", web::get().to(assets::style)),
        )
        .service(
            web::scope("/v1")
                .wrap(from_fn(authenticate))
                .route("/account", web::get().to(accounts::routes::get_account))
                .service(contacts::scope("/contacts", PersonType::Contact))
                .service(contacts::scope("/clients", PersonType::Client))
                .route("/tags", web::get().to(contacts::list_tags))
                .route("/locations", web::post().to(locations::create))
                .route("/locations", web::get().to(locations::list))
                .route("/locations/{id}", web::get().to(locations::get))
                .route("/locations/{id}", web::put().to(locations::update))
                .route("/locations/{id}", web::delete().to(locations::delete))
                .route("/segments", web::post().to(segments::create))
                .route("/segments", web::get().to(segments::list))
                .route("/segments/preview", web::post().to(segments::preview))
                .route("/segments/{id}", web::get().to(segments::get))
                .route("/segments/{id}", web::put().to(segments::update))
                .route("/segments/{id}", web::delete().to(segments::delete))
                .route(
                    "/segments/{id}/contacts",
                    web::post().to(segments::add_members),
                )
                .route(
                    "/segments/{id}/contacts",
                    web::delete().to(segments::remove_members),
                )
                .route("/segments/{id}/count", web::get().to(segments::count))
                .route("/segments/{id}/contacts", web::get().to(segments::members))
                .route("/templates", web::post().to(templates::create))
                .route("/templates", web::get().to(templates::list))
                .route("/templates/{id}", web::get().to(templates::get))
                .route("/templates/{id}", web::put().to(templates::update))
                .route("/templates/{id}", web::delete().to(templates::delete))
                .route(
                    "/messages/{channel}/receive",
                    web::post().to(messages::receive),
                )
                .route("/messages/{id}/cancel", web::post().to(messages::cancel))
                .route(
                    "/messages/{channel}/{action}",
                    web::post().to(messages::send),
                )
                .route("/messages/{contactId}", web::get().to(messages::log))
                .route("/channels/{channel}", web::get().to(channels::get))
                .route("/channels/{channel}", web::put().to(channels::put))
                .route("/channels/{channel}", web::delete().to(channels::delete))
                .route("/broadcasts", web::post().to(broadcasts::create))
                .route("/broadcasts", web::get().to(broadcasts::list))
                .route("/broadcasts/{id}", web::get().to(broadcasts::get))
                .route("/broadcasts/{id}/pause", web::post().to(broadcasts::pause))
                .route(
                    "/broadcasts/{id}/resume",
                    web::post().to(broadcasts::resume),
                )
                .route(
                    "/broadcasts/{id}/cancel",
                    web::post().to(broadcasts::cancel),
                )
                .route(
                    "/broadcasts/{id}/messages",
                    web::get().to(broadcasts::messages),
                )
                .default_service(web::to(http::not_found)),
        )
        .service(
            web::scope("/api/v1")
                .wrap(from_fn(authenticate))
                .route(
                    "/createCustomSegment",
                    web::post().to(wati::create_custom_segment),
                )
                .default_service(web::to(http::not_found)),
        )
        .service(
            web::scope("/webhooks")
                .route(
                    "/telegram/{accountId}",
                    web::post().to(webhooks::telegram_update),
                )
                // WhatsApp, Messenger and Instagram: Meta's check and signed callbacks.
                .route(
                    "/{channel}/{accountId}",
                    web::get().to(webhooks::meta_verify),
                )
                .route(
                    "/{channel}/{accountId}",
                    web::post().to(webhooks::meta_events),
                )
                .default_service(web::to(http::not_found)),
        )
        .service(
            web::scope("/segmenter")
                .wrap(from_fn(authenticate))
                .route("/segments", web::post().to(segmenter::create))
                .route("/segments/{id}", web::put().to(segmenter::update))
                .route("/segments/{id}", web::get().to(segmenter::get))
                .default_service(web::to(http::not_found)),
        )
        .default_service(web::to(http::not_found));
}
