//! Message templates (docs/api.md#templates): WhatsApp-style templates registered per
//! account, with their `{{n}}` placeholders counted and checked when they are written.

pub mod model;
pub mod store;
