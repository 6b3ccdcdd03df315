//! One integration-test binary: the real application on port 0, a fresh database per
//! test (SQLite by default; PostgreSQL when `CYBERDRILL_TEST_POSTGRES` is set).

mod helpers;

mod aar;
mod auth;
mod backend;
mod cluster;
mod consoles;
mod crash;
mod drills;
mod e2e;
mod exports;
mod live;
mod load;
mod maturity;
mod pages;
mod playbooks;
mod records;
mod scenarios;
mod scoping;
mod systems;
mod teams;
