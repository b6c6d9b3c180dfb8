//! Accounts, their plans and limits, API keys and admin sessions: the data behind auth.

pub mod model;
pub mod store;

pub use model::{Email, Limits, NewPassword, Plan};
