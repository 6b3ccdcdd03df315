//! Integration tests: scoping.
