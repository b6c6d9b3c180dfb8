//! Broadcasts to segments (API.md §8): the body, personalisation and pacing ([`model`]),
//! the store with live stats ([`store`]), the worker's fan-out ([`fanout`]) and paced
//! claims ([`outbox`]), and the routes.

pub mod fanout;
pub mod model;
pub mod outbox;
pub mod routes;
pub mod store;
