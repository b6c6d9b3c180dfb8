//! Broadcasts to segments (docs/api.md#broadcasts): the body and personalisation
//! ([`model`]), the store with live stats ([`store`]), and what a campaign did
//! ([`report`], [`recipients`]). Fanning out and sending them is [`crate::delivery`]'s.

pub mod model;
pub mod recipients;
pub mod report;
pub mod store;
