//! Segments (docs/api.md#segments): one typed rule ([`rules`]) that every dialect parses
//! into, its compiler to SQL ([`compile`]), the count planner ([`count`]), a page's counts
//! taken together ([`page`]) and the store.

pub mod compile;
pub mod count;
pub mod model;
pub mod page;
pub mod rules;
pub mod store;
