//! Pure domain types and rules: no I/O, no clock. Functions that depend on the date
//! take it as an argument so that tests can fix it.
//!
//! Enumerations carry the snake_case codes of `shared/domain.md`; their Vietnamese and
//! English labels live in the Fluent files under `web/locales` (key `ENUM-CODE`), so
//! that a translator edits one place.

pub mod clock;
pub mod drill;
pub mod enums;
pub mod errors;
pub mod level;
pub mod records;
pub mod registry;

pub use enums::*;
pub use errors::{FieldError, FieldErrors};
pub use level::SecurityLevel;
