//! Message templates (docs/api.md#templates): WhatsApp-style templates registered per
//! account, with their `{{n}}` placeholders counted and checked when they are written, and
//! their approval as WhatsApp reports it ([`approval`]).

pub mod approval;
pub mod model;
pub mod store;
