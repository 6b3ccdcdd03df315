//! Integration tests: playbooks.
