//! The API's handlers, one file per resource: each parses its request, calls the domain
//! room's store or model, and renders the answer. The other vendors' dialects (Wati,
//! Segmenter), the providers' webhooks (`provider_hooks`) and the account's own event
//! webhooks (`webhooks`) are here too.

pub mod accounts;
pub mod broadcasts;
pub mod channels;
pub mod contacts;
pub mod locations;
pub mod messages;
pub mod provider_hooks;
pub mod segmenter;
pub mod segments;
pub mod templates;
pub mod wati;
pub mod webhooks;
