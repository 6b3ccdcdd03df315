//! MSEL interchange: a scenario as the spreadsheet exercise planners use
//! (master scenario events list), as CSV or XLSX, and back.
//!
//! Export writes one row per inject and one column per field, plus the
//! scenario metadata (`scenario.*` rows at the top of a CSV file, a
//! "Scenario" sheet in a workbook). Import reads the same layouts, and
//! also planners' own sheets: headers are matched loosely and in
//! Vietnamese ([`preview`] suggests a [`ColumnMapping`] the planner can
//! correct), and release times may be written as `H+2`, `D+1 08:30`,
//! `T+90m` or `01:15:00`. The layout is documented in `scenarios/README.md`
//! ("MSEL spreadsheets").
//!
//! An import either yields a [`Scenario`] that passed the same validator as
//! a scenario file, or every problem found, each naming its row and column
//! as the spreadsheet shows them. Nothing here does I/O or panics on bad
//! input; storing the result is the caller's business.
//!
//! Export → import gives back the same scenario, so export → import →
//! export gives byte-identical CSV and cell-identical XLSX.

mod csv_file;
mod headers;
mod import;
mod layout;
mod problem;
mod sheet;
mod time;
mod xlsx_file;

#[cfg(test)]
mod tests;

use serde::Serialize;
use thiserror::Error;

use super::model::Scenario;
use super::problem::said;

pub use headers::{ColumnMapping, ColumnRef, ColumnRule};
pub use layout::{ExpectationPart, Field};
pub use problem::ImportProblem;
pub use time::DayStart;

/// Largest upload read (20 MiB); checked before any parsing.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;
/// Most injects a scenario may have.
pub const MAX_INJECTS: usize = 5_000;
/// Largest cell read (64 KiB, the limit of an inject body).
pub const MAX_CELL_BYTES: usize = 64 * 1024;

/// The spreadsheet formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// XLSX files are ZIP archives; anything else is taken as CSV.
    pub fn detect(bytes: &[u8]) -> Format {
        if bytes.starts_with(b"PK\x03\x04") {
            Format::Xlsx
        } else {
            Format::Csv
        }
    }
}

/// What an import needs beyond the file.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions<'a> {
    /// The planner's column mapping; `None` uses the suggestions.
    pub mapping: Option<&'a ColumnMapping>,
    /// When drill day `D+0` starts, for times like `D+1 08:30`.
    pub day_start: DayStart,
    /// Scenario metadata to use when the file has none (a planner's sheet
    /// with only injects, imported into an existing scenario). Its injects
    /// are ignored. Metadata in the file wins.
    pub metadata: Option<&'a Scenario>,
}

/// Why an XLSX export failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExportError {
    #[error(
        "{place} holds {chars} characters; an Excel cell holds at most 32 767. Export this scenario as CSV or TOML instead"
    )]
    TooLongForExcel { place: String, chars: usize },
    #[error("the workbook could not be written: {0}")]
    Xlsx(String),
}

/// The scenario as CSV: UTF-8 with a byte-order mark, CRLF line ends.
pub fn export_csv(scenario: &Scenario) -> Vec<u8> {
    csv_file::export(scenario)
}

/// The scenario as an XLSX workbook with sheets "MSEL" and "Scenario".
pub fn export_xlsx(scenario: &Scenario) -> Result<Vec<u8>, ExportError> {
    xlsx_file::export(scenario)
}

/// Reads a CSV MSEL (UTF-8 with or without byte-order mark, or UTF-16 with
/// one; `,`, `;` or TAB delimited).
pub fn import_csv(
    bytes: &[u8],
    options: &ImportOptions<'_>,
) -> Result<Scenario, Vec<ImportProblem>> {
    import(bytes, Format::Csv, options)
}

/// Reads an XLSX MSEL workbook.
pub fn import_xlsx(
    bytes: &[u8],
    options: &ImportOptions<'_>,
) -> Result<Scenario, Vec<ImportProblem>> {
    import(bytes, Format::Xlsx, options)
}

/// Reads an MSEL in either format.
pub fn import(
    bytes: &[u8],
    format: Format,
    options: &ImportOptions<'_>,
) -> Result<Scenario, Vec<ImportProblem>> {
    let source = read(bytes, format)?;
    import::build(&source, options)
}

fn read(bytes: &[u8], format: Format) -> Result<sheet::Source, Vec<ImportProblem>> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(vec![ImportProblem::file(said!(
            "the file is {size:.1} MiB; at most {limit} MiB can be imported. Split the scenario or remove embedded pictures",
            "tệp có dung lượng {size:.1} MiB; chỉ nhập được tối đa {limit} MiB. Hãy tách kịch bản hoặc bỏ bớt hình ảnh chèn trong tệp",
            size = bytes.len() as f64 / (1024.0 * 1024.0),
            limit = MAX_UPLOAD_BYTES / (1024 * 1024)
        ))]);
    }
    match format {
        Format::Csv => csv_file::read(bytes),
        Format::Xlsx => xlsx_file::read(bytes),
    }
}

/// What the column-mapping step shows: the header row, the first rows, and
/// which field each column would feed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The sheet holding the injects (XLSX).
    pub sheet: Option<String>,
    /// 1-based row of the headers.
    pub header_row: usize,
    pub headers: Vec<String>,
    /// The field each header position feeds (the suggestion, corrected by
    /// the mapping given), `None` for ignored columns.
    pub fields: Vec<Option<Field>>,
    /// The same as a mapping the planner can edit and send back.
    pub suggested: ColumnMapping,
    /// The first rows below the header: (row number, cells).
    pub rows: Vec<(usize, Vec<String>)>,
    /// Rows below the header that are not blank.
    pub inject_rows: usize,
    /// Whether the file carries the scenario metadata.
    pub has_metadata: bool,
    /// Problems with the mapping (missing or doubly mapped fields); empty
    /// when the import can proceed to reading the cells.
    pub problems: Vec<ImportProblem>,
}

/// Rows shown by [`preview`].
const PREVIEW_ROWS: usize = 10;

/// Reads a file far enough to show the column-mapping step. Fails only
/// when the file itself cannot be read.
pub fn preview(
    bytes: &[u8],
    format: Format,
    mapping: Option<&ColumnMapping>,
) -> Result<Preview, Vec<ImportProblem>> {
    let source = read(bytes, format)?;
    let (table, problems) = import::locate_leniently(&source.msel, mapping)?;
    let suggested = ColumnMapping {
        header_row: Some(table.header.number),
        rules: table
            .columns
            .iter()
            .enumerate()
            .map(|(i, field)| ColumnRule {
                column: ColumnRef::Position(i),
                field: *field,
            })
            .collect(),
    };
    Ok(Preview {
        sheet: source.msel.name.clone(),
        header_row: table.header.number,
        headers: table.header.cells.clone(),
        fields: table.columns.clone(),
        suggested,
        rows: table
            .body
            .iter()
            .take(PREVIEW_ROWS)
            .map(|r| (r.number, r.cells.clone()))
            .collect(),
        inject_rows: table.body.len(),
        has_metadata: !table.meta_rows.is_empty() || source.scenario.is_some(),
        problems,
    })
}
