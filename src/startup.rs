//! Builds the application: opens the database, wires the routes, binds the listener.
//! `main` and the integration tests start the server through the same [`Application`].

use crate::accounts::store;
use crate::auth::keys::KeyCache;
use crate::auth::password::HashGate;
use crate::auth::throttle::LoginThrottle;
use crate::channels::Router;
use crate::channels::hooks::Hooks;
use crate::channels::provider::ProviderUrls;
use crate::clock::{self, day_of};
use crate::config::Config;
use crate::contacts::gate::ImportGate;
use crate::contacts::phone::PhoneRules;
use crate::db;
use crate::delivery::{self, Transports};
use crate::http::state::AppState;
use crate::http::{housekeeping, routes};
use crate::idempotency::InFlight;
use crate::ratelimit::RateLimiter;
use crate::webhooks;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Condition, Logger};
use actix_web::{App, HttpServer, web};
use anyhow::{Context, anyhow};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// Three HTTP workers a core. A worker reads SQLite on its own thread, and while it is in
/// a `pread` or a lock its other connections wait: on two cores, six workers served more
/// contact reads a second than two in alternating `wrk` runs (BENCHMARKS.md).
/// The hello-world, which never waits, was fastest with one a core.
const WORKERS_PER_CORE: usize = 3;

fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * WORKERS_PER_CORE
}

pub struct Application {
    server: Server,
    port: u16,
    state: web::Data<AppState>,
    /// What delivers a channel an account has not set up.
    sandbox: Transports,
    provider_urls: ProviderUrls,
    delivery: delivery::Settings,
    shutdown_timeout: Duration,
}

impl Application {
    pub fn build(config: &Config) -> anyhow::Result<Application> {
        let (pool, writer) = db::open_with(&config.db, config.wal)?;
        let (epoch, today, counts) = {
            let conn = pool.get()?;
            let today = day_of(clock::now());
            let counts = store::usage_of_day(&conn, today)?;
            (store::auth_epoch(&conn)?, today, counts)
        };
        let limiter = RateLimiter::default();
        limiter.load_day(today, &counts);
        let state = web::Data::new(AppState {
            pool,
            writer,
            keys: KeyCache::new(epoch),
            attribute_names: Default::default(),
            limiter,
            login_throttle: LoginThrottle::default(),
            hashing: HashGate::default(),
            imports: ImportGate::default(),
            edge: config.edge.clone(),
            secret_key: config.secret_key.clone(),
            providers: crate::channels::provider::Providers {
                client: crate::channels::provider::client(config.delivery.provider_timeout),
                urls: config.provider_urls.clone(),
            },
            signup: config.signup,
            phones: PhoneRules::new(config.default_region.as_deref())
                .map_err(|e| anyhow!("default region: {e}"))?,
            delivery: delivery::Signal::default(),
            hooks: Hooks::default(),
            idempotency: InFlight::default(),
            opt_words: config.opt_words.clone(),
            reply_window: config.reply_window,
            uploads: match config.db.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => ".".into(),
            },
            webhooks: config.webhooks.clone(),
            webhook_sender: webhooks::Sender::new(
                config.webhooks.destinations,
                config.secret_key.clone(),
                config.webhooks.timeout,
            ),
        });

        let listening = || format!("cannot listen on {}", config.bind);
        let listener = TcpListener::bind(&config.bind).with_context(listening)?;
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        // The logger formats each request's line before the log level can drop it: with
        // request logs off that cost a contact read measurable time, so it is left out.
        let logs_requests =
            log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info);
        let db_path = config.db.clone();
        let mut server = HttpServer::new(move || {
            let reader = db::LocalReader::new(db_path.clone(), app_state.pool.clone());
            App::new()
                .wrap(Condition::new(logs_requests, request_logger()))
                .app_data(app_state.clone())
                .app_data(reader)
                .configure(routes::configure)
        })
        .listen(listener)
        .with_context(listening)?
        .shutdown_timeout(config.shutdown_timeout);
        server = server.workers(config.workers.unwrap_or_else(default_workers));
        if !config.handle_signals {
            server = server.disable_signals();
        }
        Ok(Application {
            server: server.run(),
            port,
            state,
            sandbox: Transports::default(),
            provider_urls: config.provider_urls.clone(),
            delivery: config.delivery,
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout),
        })
    }

    /// Delivers channels that accounts have not set up through `sandbox` instead of the
    /// sandbox (tests: a transport that records, or never answers).
    pub fn with_sandbox(mut self, sandbox: Transports) -> Application {
        self.sandbox = sandbox;
        self
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
        let router = Router::new(
            self.state.pool.clone(),
            self.provider_urls,
            self.sandbox,
            self.delivery.provider_timeout,
            self.state.secret_key.clone(),
        );
        let db = delivery::Db {
            pool: self.state.pool.clone(),
            writer: self.state.writer.clone(),
        };
        let signal = self.state.delivery.clone();
        let mut delivery = tokio::spawn(delivery::run(db, signal, Arc::new(router), self.delivery));
        let events = webhooks::Stop::default();
        let mut webhooks = tokio::spawn(webhooks::worker::run(
            self.state.pool.clone(),
            self.state.writer.clone(),
            self.state.attribute_names.clone(),
            self.state.webhook_sender.clone(),
            self.state.webhooks.clone(),
            events.clone(),
        ));
        let served = self.server.await;
        chores.abort();
        // Attempts in hand are recorded; any cut short are made again at the next start.
        events.stop();
        if tokio::time::timeout(self.shutdown_timeout, &mut webhooks)
            .await
            .is_err()
        {
            webhooks.abort();
        }
        // Let the worker finish the sends in hand; past the timeout, the ones still with a
        // transport are reported as interrupted at the next start (see delivery::worker).
        self.state.delivery.stop();
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
