//! Files a client uploads to send (Wati's `sendSessionFile`), kept in the database so that
//! a backup or a replica holds them too: which types WhatsApp takes and whether a file is
//! what it says ([`model`], pure), and where they are kept ([`store`]).

pub mod model;
pub mod store;
