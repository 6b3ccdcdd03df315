//! What went wrong in an imported spreadsheet, placed where the planner
//! will look for it: the sheet, the 1-based row number the spreadsheet
//! program shows, and the column by its header.

use std::fmt;

use serde::Serialize;

use super::super::problem::{Said, said};

/// One thing wrong with an imported spreadsheet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// The worksheet, for XLSX files.
    pub sheet: Option<String>,
    /// 1-based row as Excel numbers it (a multi-line cell is one row).
    pub row: Option<usize>,
    /// The column's header as written in the file (or its letter when the
    /// header is blank), or the metadata key for metadata rows.
    pub column: Option<String>,
    /// In English: the API, the command line and the English pages show it.
    pub message: String,
    /// In Vietnamese, for the pages in Vietnamese.
    #[serde(skip)]
    pub message_vi: String,
}

impl ImportProblem {
    /// A problem with the file as a whole.
    pub(super) fn file(said: Said) -> Self {
        ImportProblem {
            sheet: None,
            row: None,
            column: None,
            message: said.en,
            message_vi: said.vi,
        }
    }

    pub(super) fn at(place: &Place, column: Option<String>, said: Said) -> Self {
        ImportProblem {
            sheet: place.sheet.clone(),
            row: Some(place.row),
            column,
            message: said.en,
            message_vi: said.vi,
        }
    }

    /// The message in the page's language.
    pub fn message_in(&self, vietnamese: bool) -> &str {
        if vietnamese {
            &self.message_vi
        } else {
            &self.message
        }
    }
}

/// A row of a sheet, for building problems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Place {
    pub sheet: Option<String>,
    pub row: usize,
}

impl fmt::Display for ImportProblem {
    /// `sheet "MSEL", row 12, column "Thời điểm": message`, leaving out
    /// what is not known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(sheet) = &self.sheet {
            parts.push(format!("sheet \"{sheet}\""));
        }
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            parts.push(format!("column \"{column}\""));
        }
        if parts.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", parts.join(", "), self.message)
        }
    }
}

/// Most problems reported for one file: past this the planner has a
/// systematic error (a wrong mapping, a shifted column) and a longer list
/// only hides it.
pub(super) const MAX_PROBLEMS: usize = 100;

/// Caps the list at [`MAX_PROBLEMS`], saying how many were left out.
pub(super) fn capped(mut problems: Vec<ImportProblem>) -> Vec<ImportProblem> {
    if problems.len() > MAX_PROBLEMS {
        let left_out = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(ImportProblem::file(said!(
            "… and {left_out} more problems; fix the ones above first",
            "… và {left_out} lỗi khác; hãy sửa các lỗi ở trên trước"
        )));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_names_its_row_and_column_as_the_planner_sees_them() {
        let place = Place {
            sheet: None,
            row: 12,
        };
        let problem = ImportProblem::at(
            &place,
            Some("Thời điểm".into()),
            said!("bad time", "sai thời điểm"),
        );
        assert_eq!(
            problem.to_string(),
            "row 12, column \"Thời điểm\": bad time"
        );
        let whole = ImportProblem::file(said!("too big", "quá lớn"));
        assert_eq!(whole.to_string(), "too big");
    }
}
