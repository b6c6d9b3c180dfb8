//! Sending and receiving messages (docs/api.md#messages): the send bodies ([`body`],
//! [`render`], [`incoming`]), the log ([`store`]) and each broadcast's counters as its
//! messages move ([`tally`]). Handing messages to providers is [`crate::delivery`]'s.

pub mod body;
pub mod incoming;
pub mod model;
pub mod render;
pub mod store;
pub mod tally;
