//! The one integration-test binary: each test starts the real server on port 0 with a fresh
//! temporary database and talks HTTP to it.

mod helpers;

mod admin;
mod api_keys;
mod broadcasts;
mod channels;
mod cli;
mod contacts;
mod crash;
mod delivery;
mod errors;
mod health;
mod import_export;
mod locations;
mod logs;
mod messages;
mod openapi;
mod quotas;
mod rate_limits;
mod segmenter;
mod segments;
mod shutdown;
mod storage;
mod stored_data;
mod templates;
mod tenancy;
mod wati;
mod wati_clients;
mod wati_files;
mod webhooks;
