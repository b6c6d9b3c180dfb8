//! Locations (docs/api.md#contacts-clients-tags-locations): the branches of a business,
//! referenced by contacts, segments and messages as `{"location": {"id": …}}`.

pub mod store;

pub const MAX_TITLE: usize = 200;
