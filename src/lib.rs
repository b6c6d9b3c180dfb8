//! Switchboard: a self-hosted customer-messaging API in one binary with an embedded SQLite
//! database. The contract is `API.md`; this map says where each part lives.
//!
//! * [`cli`] parses the command line; [`startup`] builds the server that `main` and the
//!   tests both run; [`config`] holds its settings. [`routes`] lists every route, and
//!   [`openapi`] describes them (`/openapi.json`, `/docs`).
//! * [`http`] is the edge shared by all routes (JSON extractor, 404, health, CSRF guard);
//!   [`error::ApiError`] renders every failure as the contract's JSON body.
//! * [`db`] owns SQLite: the read pool, the single group-committing [`db::Writer`], the
//!   schema and its version.
//! * [`auth`] answers "who is asking": API keys and their cache, the request middleware,
//!   admin sessions, password hashing, the login throttle. [`ratelimit`] counts quotas.
//! * [`fields`] holds request-body building blocks (PATCH, ids, bounded text, paging).
//! * [`segments`] holds the rule model ([`segments::rules`]), its compiler to SQL
//!   ([`segments::compile`]) and the segment store and routes.
//! * Feature folders ([`accounts`], [`contacts`], [`locations`], [`segments`], [`templates`], …) each hold `model.rs` (types and
//!   validation, no SQL, no HTTP), `store.rs` (SQL, no HTTP) and `routes.rs` (HTTP).
//! * [`messages`] sends and receives on the four channels: bodies, the log, the delivery
//!   worker and its transports. [`idempotency`] replays retried sends. [`broadcasts`] fans a
//!   segment out into messages and paces them. [`channels`] holds each account's provider
//!   settings and the providers' transports.
//! * [`compat`] translates the other vendors' dialects (Wati, Segmenter) onto the native
//!   services.
//! * [`housekeeping`] runs the server's background chores; [`demo`] makes demo data.

// The OpenAPI schemas are one large `json!` literal, deeper than the default macro limit.
#![recursion_limit = "512"]

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod broadcasts;
pub mod channels;
pub mod cli;
pub mod clock;
pub mod compat;
pub mod config;
pub mod contacts;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod fields;
pub mod housekeeping;
pub mod http;
pub mod idempotency;
pub mod locations;
pub mod messages;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod secrets;
pub mod segments;
pub mod startup;
pub mod state;
pub mod templates;
