//! Segments (API.md §5): one rule engine behind three dialects. The rules and their compiler
//! to SQL live in [`rules`]; the segment store and the dialects' routes build on it.

pub mod compile;
pub mod count;
pub mod model;
pub mod rules;
pub mod store;
