//! Integration tests: teams.
