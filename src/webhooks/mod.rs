//! Event webhooks (docs/webhooks.md): an account's endpoints, the events recorded for them
//! in the same transaction as each change (by triggers on people and broadcasts, by
//! `messages::store::record_event` for messages), and
//! their delivery, signed as the Standard Webhooks specification says, retried on a
//! schedule, at least once.
//!
//! * [`model`]: event types, an endpoint's fields, secrets and signatures, the schedule.
//! * [`destination`]: which addresses a tenant's URL may reach.
//! * [`store`]: endpoints, the delivery log and replays; [`outbox`]: the worker's SQL.
//! * [`send`]: one attempt; [`worker`]: the task that dispatches, attempts and records,
//!   an endpoint's deliveries in its lane ([`lanes`]).

pub mod destination;
mod lanes;
pub mod model;
pub mod outbox;
pub mod send;
pub mod store;
pub mod worker;

pub use destination::Destinations;
pub use send::Sender;
pub use worker::{Settings, Stop};
