//! The format-neutral grid both readers produce: rows of text cells with
//! the row numbers the planner sees. CSV and XLSX differ only in how they
//! fill it; everything after works on this.

use super::super::problem::said;
use super::layout::column_letter;
use super::problem::{ImportProblem, Place};
use super::{MAX_CELL_BYTES, MAX_INJECTS};

/// Rows kept in memory at most; beyond this the reader only counts, so a
/// huge file costs no memory before it is refused for having too many
/// injects.
pub(super) const MAX_KEPT_ROWS: usize = MAX_INJECTS + 1_000;

/// Columns a row may have: far more than any MSEL needs, few enough that a
/// stray cell in column XFD cannot blow up memory.
pub(super) const MAX_COLUMNS: usize = 1_024;

/// One non-empty row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Row {
    /// 1-based, as the spreadsheet program shows it.
    pub number: usize,
    pub cells: Vec<String>,
}

impl Row {
    pub(super) fn cell(&self, column: usize) -> &str {
        self.cells.get(column).map_or("", String::as_str)
    }
}

/// A range of merged cells (XLSX), by the rows it spans.
#[derive(Clone, Debug)]
pub(super) struct Merge {
    pub first_row: usize,
    pub last_row: usize,
    pub range: String,
}

/// A cell holding a formula (XLSX).
#[derive(Clone, Debug)]
pub(super) struct FormulaCell {
    pub row: usize,
    pub cell: String,
    pub formula: String,
}

/// One sheet (a CSV file is one sheet without a name).
#[derive(Clone, Debug, Default)]
pub(super) struct Sheet {
    pub name: Option<String>,
    /// Non-empty rows in order, at most [`MAX_KEPT_ROWS`].
    pub rows: Vec<Row>,
    /// Non-empty rows in the file, including those not kept.
    pub total_rows: usize,
    /// For CSV: the delimiter, so short rows can be blamed on mixed
    /// delimiters. `None` for XLSX, where rows are naturally ragged.
    pub delimiter: Option<char>,
    pub merged: Vec<Merge>,
    pub formulas: Vec<FormulaCell>,
}

impl Sheet {
    pub(super) fn new(name: Option<String>) -> Self {
        Sheet {
            name,
            ..Sheet::default()
        }
    }

    pub(super) fn place(&self, row: usize) -> Place {
        Place {
            sheet: self.name.clone(),
            row,
        }
    }

    /// Adds a row read from the file; blank rows are skipped, oversize
    /// cells and over-wide rows reported.
    pub(super) fn push(
        &mut self,
        number: usize,
        cells: Vec<String>,
        problems: &mut Vec<ImportProblem>,
    ) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return;
        }
        self.total_rows += 1;
        if self.rows.len() >= MAX_KEPT_ROWS {
            return;
        }
        let place = self.place(number);
        if cells.len() > MAX_COLUMNS {
            problems.push(ImportProblem::at(
                &place,
                None,
                said!(
                    "the row has {count} cells; at most {MAX_COLUMNS} columns are read",
                    "dòng có {count} ô; chỉ đọc được tối đa {MAX_COLUMNS} cột",
                    count = cells.len()
                ),
            ));
            return;
        }
        for (i, cell) in cells.iter().enumerate() {
            if cell.len() > MAX_CELL_BYTES {
                problems.push(ImportProblem::at(
                    &place,
                    Some(column_letter(i)),
                    said!(
                        "the cell holds {size} bytes; a cell may hold at most {MAX_CELL_BYTES} bytes (64 KiB)",
                        "ô chứa {size} byte; mỗi ô chứa tối đa {MAX_CELL_BYTES} byte (64 KiB)",
                        size = cell.len()
                    ),
                ));
            }
        }
        self.rows.push(Row { number, cells });
    }
}

/// What a file holds: the inject sheet and, for XLSX, the metadata sheet.
#[derive(Clone, Debug, Default)]
pub(super) struct Source {
    pub msel: Sheet,
    pub scenario: Option<Sheet>,
}
