//! The other vendors' dialects, translated onto the native services: thin, with their own
//! request and answer shapes.

pub mod segmenter;
pub mod wati;
