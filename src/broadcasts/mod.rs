//! Broadcasts to segments (docs/api.md#broadcasts): the body and personalisation
//! ([`model`]), the store with live stats ([`store`]), and the routes. Fanning out and
//! sending them is [`crate::delivery`]'s.

pub mod model;
pub mod store;
