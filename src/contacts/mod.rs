//! Contacts and clients (docs/api.md#contacts-clients-tags-locations): one store with a
//! `type`, served under `/v1/contacts` and `/v1/clients`; their tags and custom attributes.

pub mod bulk;
pub mod counters;
pub mod export;
pub mod gate;
pub mod import;
pub mod list;
pub mod model;
pub mod names;
pub mod phone;
pub mod scan;
pub mod store;
pub mod tags;
pub mod totals;
pub mod view;
