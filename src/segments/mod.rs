//! Segments (docs/api.md#segments): one typed rule ([`rules`]) that every dialect parses
//! into, its compiler to SQL ([`compile`]), the count planner ([`count`]) and the store.

pub mod compile;
pub mod count;
pub mod model;
pub mod rules;
pub mod store;
