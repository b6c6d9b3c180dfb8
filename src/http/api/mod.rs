//! The API's handlers, one file per resource: each parses its request, calls the domain
//! room's store or model, and renders the answer. The other vendors' dialects (Wati,
//! Segmenter) and the providers' webhooks are here too.

pub mod accounts;
pub mod broadcasts;
pub mod channels;
pub mod contacts;
pub mod locations;
pub mod messages;
pub mod segmenter;
pub mod segments;
pub mod templates;
pub mod wati;
pub mod webhooks;
