//! Integration tests: pages.
