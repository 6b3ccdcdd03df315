//! cyberdrill: prepare, run and prove cyber-security drills for Vietnamese agencies.
//!
//! The server keeps the registry Directive 18/CT-TTg asks for (information systems
//! with their security level, response teams, per-system playbooks), and serves it as
//! a JSON API and as server-rendered pages.
//!
//! Request flow: `http` (routes, extractors) → `auth` (who, which organisations) →
//! `domain` (pure rules and validation) → `store` (the only database code, over
//! `entities`) → `views` (templates with view-models, for pages).

/// Authentication, sessions, tokens, rate limits and organisation scoping.
pub mod auth;
/// Data kept in the repository and synced at boot (the shipped scenarios).
pub mod boot;
/// The command line.
pub mod cli;
/// Typed settings.
pub mod config;
/// Opening and migrating the database.
pub mod db;
/// Demo data for `serve --demo`.
pub mod demo;
/// Pure domain types and rules.
pub mod domain;
/// The live drill engine: event log (hash chain), scheduler, live hub.
pub mod drill;
/// SeaORM entities (tables), no logic.
pub mod entities;
/// The error type and its JSON envelope.
pub mod error;
/// Exports (CSV, XLSX, JSON, PDF) and charts (SVG, PDF).
pub mod export;
/// Routes, extractors, API handlers and pages.
pub mod http;
/// The live channel's load generator (`cyberdrill-loadgen`).
pub mod loadgen;
/// The competency framework (versioned data) and the yearly maturity computation.
pub mod maturity;
/// Drill scenarios: the TOML format, its validator and writer, the shipped library.
pub mod scenario;
/// Per-drill KPIs (the scorecard), computed from the event log alone.
pub mod scoring;
/// Building and running the server.
pub mod startup;
/// Shared application state.
pub mod state;
/// Database access.
pub mod store;
/// UTC storage, Vietnam-time display.
pub mod time;
/// Templates, helpers and translations.
pub mod views;
