//! Delivery: everything between a message being queued and a provider's answer being
//! recorded, in one room.
//!
//! * [`worker`] is the task that claims work and hands it on, each send on its own.
//! * [`sends`] and [`broadcasts`] are the worker's SQL: claiming and settling single sends,
//!   starting, claiming and completing broadcasts; [`fanout`] turns a broadcast's segment
//!   (or list) into queued messages, step by step; [`lists`] stores and fans out a
//!   broadcast to a list at once.
//! * [`pacing`] paces broadcasts per account; [`slots`] caps provider calls in flight per
//!   account, so that one slow provider never holds another account up.
//! * [`transport`] is the trait the providers' protocols implement (in `channels`), the
//!   sandbox, and [`transport::Routing`], how the worker learns which transport serves a
//!   message without knowing the providers.
//!
//! What `sent` means, and what each failure looks like, is in `docs/delivery.md`.

pub mod broadcasts;
pub mod fanout;
pub mod lists;
pub mod pacing;
pub mod sends;
pub mod slots;
pub mod transport;
pub mod worker;

pub use transport::{Outgoing, Refusal, Route, Routing, SendFuture, Transport, Transports};
pub use worker::{Db, Settings, Signal, run};
