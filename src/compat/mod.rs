//! The other vendors' dialects: for each, its request shapes (DTOs), a mapping onto the
//! one core type, and its answers rendered back, with one error path. Pure: no SQL, no
//! HTTP; the handlers are in `http::api`.

pub mod segmenter;
pub mod wati;
