//! Switchboard: a self-hosted customer-messaging API in one binary with an embedded SQLite
//! database. This map says where each part lives; `docs/` says what it does.
//!
//! **The edge.** [`cli`] parses the command line; [`startup`] builds the server that `main`
//! and the tests both run, from [`config`]. [`http`] is everything that knows HTTP: the
//! route table, the OpenAPI description, one handler file per resource (and the other
//! vendors' dialects, and the providers' webhooks), the admin page, key and session
//! checks, and the state handlers reach.
//!
//! **The rooms**, which know nothing of HTTP and never import each other in a circle. Each
//! feature folder holds `model.rs` (types and validation: pure), `store.rs` (SQL) and more
//! where it needs them.
//! * [`accounts`] (plans, limits, quotas), [`auth`] (keys and their cache, passwords, the
//!   login throttle), [`ratelimit`] (request quotas).
//! * [`contacts`] (people, tags, attributes, import and export), [`locations`],
//!   [`templates`].
//! * [`segments`]: one typed rule ([`segments::rules`]) that every dialect parses into, its
//!   compiler to SQL ([`segments::compile`]), and the store that counts and lists members.
//! * [`messages`] (send bodies, rendering, the log), [`broadcasts`] (a campaign to a
//!   segment), [`idempotency`] (replayed sends), [`media`] (files uploaded to send).
//! * [`delivery`]: the worker that hands messages to providers, the transport trait,
//!   pacing, fan-out, and the SQL that claims and settles.
//! * [`channels`]: each account's provider settings and the providers' protocols
//!   (WhatsApp, Telegram, Messenger, Instagram), behind [`delivery::Transport`].
//! * [`webhooks`]: events pushed out to the account's endpoints: recorded with each change,
//!   signed (Standard Webhooks), retried, replayed.
//! * [`db`] owns SQLite: the read pool, the single group-committing [`db::Writer`], the
//!   schema and its migrations. [`secrets`] seals channel secrets at rest.
//! * [`error`] is the one error type; [`fields`], [`clock`] are small shared blocks;
//!   [`demo`] makes demo data.

// The OpenAPI schemas are one large `json!` literal, deeper than the default macro limit.
#![recursion_limit = "512"]

pub mod accounts;
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
pub mod http;
pub mod idempotency;
pub mod locations;
pub mod media;
pub mod messages;
pub mod ratelimit;
pub mod secrets;
pub mod segments;
pub mod startup;
pub mod templates;
pub mod webhooks;
