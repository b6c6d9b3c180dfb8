//! The admin page (`GET /admin`, embedded static files) and its JSON API (`/admin/api`).

pub mod assets;
pub mod campaigns;
pub mod routes;
