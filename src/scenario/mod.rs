//! Drill scenarios: the TOML file format, its parser and validator, the
//! writer that turns a scenario back into a file, and the loader for the
//! scenario library shipped in `scenarios/`.
//!
//! The format is documented in `scenarios/README.md`. A file is parsed into
//! a [`Scenario`] (plain data, durations in seconds) or a list of
//! [`Problem`]s, each with its line and column; every problem of the file is
//! reported at once and nothing in here panics on bad input.
//!
//! [`msel`] turns a scenario into the spreadsheet planners use (CSV, XLSX)
//! and back.
//!
//! Not here: running a scenario (the drill engine owns the clock and the
//! release of injects), scoring (the scoring module reads expectations), and
//! storing scenarios in the database (`store::scenarios`, synced from the
//! library at boot by `boot::scenarios`).

mod attack;
mod library;
mod model;
pub mod msel;
mod offset;
mod parse;
mod problem;
mod reader;
mod write;

pub use attack::{ATTACK_VERSION, TechniqueId, all_techniques, technique_name};
pub use library::{LibraryError, LibraryLoad, load_each, load_library};
pub use model::{
    Audience, Bilingual, Channel, DrillKind, Expectation, ExpectationKind, IncidentCategory,
    Inject, MAX_BODY_BYTES, PlaybookStep, Release, Scenario, SecurityLevel, Slug,
};
pub use offset::{DurationError, format_hms, parse_hms};
pub use parse::{MAX_DURATION_SECS, check_file, parse_scenario, parse_scenario_bytes};
pub use problem::{Problem, Said};
pub use write::to_toml;
