//! Data kept in the repository and synced into the database at start-up.

pub mod scenarios;
