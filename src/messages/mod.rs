//! Sending and receiving messages (API.md §7): the send bodies ([`body`], [`render`],
//! [`incoming`]), the log ([`store`]), and delivery ([`outbox`] SQL, [`delivery`] worker
//! and transports).

pub mod body;
pub mod delivery;
pub mod incoming;
pub mod model;
pub mod outbox;
pub mod render;
pub mod routes;
pub mod slots;
pub mod store;
