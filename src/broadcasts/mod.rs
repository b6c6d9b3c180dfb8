//! Broadcasts to segments (docs/api.md#broadcasts): the body and personalisation
//! ([`model`]), the store with live stats ([`store`]), and what a campaign did
//! ([`report`], [`recipients`]), and holding them on their template's approval ([`holds`]). Fanning out and sending them is [`crate::delivery`]'s.

pub mod holds;
pub mod model;
pub mod recipients;
pub mod report;
pub mod store;
