//! The XLSX side: a workbook with a "MSEL" sheet (one row per inject) and a
//! "Scenario" sheet (metadata as key/value rows), written to memory with
//! `rust_xlsxwriter` and read back with `calamine`'s streaming cell reader
//! (which never builds a dense grid, so a stray cell at XFD1048576 costs
//! nothing).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use super::super::model::Scenario;
use super::super::problem::{Said, said};
use super::ExportError;
use super::headers::fold;
use super::layout::{self, Field, Value, column_letter};
use super::problem::{ImportProblem, Place, capped};
use super::sheet::{FormulaCell, MAX_COLUMNS, MAX_KEPT_ROWS, Merge, Sheet, Source};

pub(super) const MSEL_SHEET: &str = "MSEL";
pub(super) const SCENARIO_SHEET: &str = "Scenario";

/// Longest text an Excel cell holds (characters).
const EXCEL_MAX_CHARS: usize = 32_767;

/// Most bytes the parts of a workbook may unpack to: a 20 MB upload of
/// highly compressible XML must not become gigabytes in memory.
const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;
const MAX_ZIP_ENTRIES: usize = 10_000;

/// Writes the workbook. Fails only when a text is longer than an Excel
/// cell can hold (bodies may be up to 64 KiB; Excel stops at 32 767
/// characters): export such a scenario as CSV or TOML instead.
pub(super) fn export(scenario: &Scenario) -> Result<Vec<u8>, ExportError> {
    let slots = layout::slots_needed(scenario);
    let columns = layout::columns(slots);
    let rows: Vec<Vec<Value>> = scenario
        .injects
        .iter()
        .map(|inject| layout::inject_row(inject, slots))
        .collect();
    let metadata = layout::metadata(scenario);
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            check_length(value, MSEL_SHEET, r + 2, c, &columns[c].name())?;
        }
    }
    for (r, (key, value)) in metadata.iter().enumerate() {
        check_length(value, SCENARIO_SHEET, r + 2, 1, key)?;
    }
    write_workbook(&columns, &rows, &metadata).map_err(|e| ExportError::Xlsx(e.to_string()))
}

fn check_length(
    value: &Value,
    sheet: &str,
    row: usize,
    column: usize,
    field: &str,
) -> Result<(), ExportError> {
    if let Value::Text(text) = value {
        let chars = text.chars().count();
        if chars > EXCEL_MAX_CHARS {
            return Err(ExportError::TooLongForExcel {
                place: format!(
                    "sheet \"{sheet}\", cell {}{row} ({field})",
                    column_letter(column)
                ),
                chars,
            });
        }
    }
    Ok(())
}

fn write_workbook(
    columns: &[Field],
    rows: &[Vec<Value>],
    metadata: &[(String, Value)],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    // A fixed creation date keeps exports of the same scenario identical.
    let created = ExcelDateTime::from_ymd(2024, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();

    let msel = workbook.add_worksheet();
    msel.set_name(MSEL_SHEET)?;
    for (c, field) in columns.iter().enumerate() {
        let col = col_num(c);
        msel.write_string_with_format(0, col, field.name(), &bold)?;
        let width = match field {
            Field::BodyVi | Field::BodyEn => 60,
            Field::TitleVi | Field::TitleEn => 36,
            Field::Key => 28,
            Field::Expectation(_, layout::ExpectationPart::DescriptionVi)
            | Field::Expectation(_, layout::ExpectationPart::DescriptionEn) => 36,
            _ => 14,
        };
        msel.set_column_width(col, width)?;
    }
    msel.set_freeze_panes(1, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let is_body = |c: usize| matches!(columns.get(c), Some(Field::BodyVi | Field::BodyEn));
        for (c, value) in row.iter().enumerate() {
            write_value(
                msel,
                row_num(r + 1),
                col_num(c),
                value,
                is_body(c).then_some(&wrap),
            )?;
        }
    }

    let sheet = workbook.add_worksheet();
    sheet.set_name(SCENARIO_SHEET)?;
    sheet.write_string_with_format(0, 0, "field", &bold)?;
    sheet.write_string_with_format(0, 1, "value", &bold)?;
    sheet.set_column_width(0, 22)?;
    sheet.set_column_width(1, 100)?;
    sheet.set_freeze_panes(1, 0)?;
    for (r, (key, value)) in metadata.iter().enumerate() {
        sheet.write_string(row_num(r + 1), 0, key)?;
        write_value(sheet, row_num(r + 1), 1, value, Some(&wrap))?;
    }
    workbook.save_to_buffer()
}

fn write_value(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    value: &Value,
    format: Option<&Format>,
) -> Result<(), XlsxError> {
    match (value, format) {
        // Blank cells stay blank, as a planner would leave them.
        (Value::Text(text), _) if text.is_empty() => {}
        (Value::Text(text), Some(format)) => {
            sheet.write_string_with_format(row, col, text, format)?;
        }
        (Value::Text(text), None) => {
            sheet.write_string(row, col, text)?;
        }
        (Value::Number(n), _) => {
            sheet.write_number(row, col, f64::from(*n))?;
        }
    }
    Ok(())
}

// Export sizes are bounded by the import limits (5 000 injects, a few
// hundred columns), far inside Excel's grid; saturate rather than panic.
fn row_num(r: usize) -> u32 {
    u32::try_from(r).unwrap_or(u32::MAX)
}

fn col_num(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Reads an uploaded workbook into rows of text.
pub(super) fn read(bytes: &[u8]) -> Result<Source, Vec<ImportProblem>> {
    check_zip(bytes).map_err(|p| vec![p])?;
    let not_xlsx = |e: calamine::XlsxError| {
        vec![ImportProblem::file(said!(
            "the file is not a readable XLSX workbook ({e}); save it from Excel as \"Excel Workbook (*.xlsx)\"",
            "tệp không phải sổ tính XLSX đọc được ({e}); hãy lưu lại từ Excel dưới dạng \"Excel Workbook (*.xlsx)\""
        ))]
    };
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let names = book.sheet_names();
    let is_scenario = |name: &str| matches!(fold(name.trim()).as_str(), "scenario" | "kich ban");
    let msel_name = names
        .iter()
        .find(|n| fold(n.trim()) == "msel")
        .or_else(|| names.iter().find(|n| !is_scenario(n)))
        .cloned()
        .ok_or_else(|| {
            vec![ImportProblem::file(said!(
                "the workbook has no sheet with injects; name it \"MSEL\"",
                "sổ tính không có trang tính chứa các tình huống; hãy đặt tên trang đó là \"MSEL\""
            ))]
        })?;
    let scenario_name = names.iter().find(|n| is_scenario(n)).cloned();
    let mut problems = Vec::new();
    let msel = read_sheet(&mut book, &msel_name, &mut problems);
    let scenario = scenario_name.map(|name| read_sheet(&mut book, &name, &mut problems));
    if problems.is_empty() {
        Ok(Source { msel, scenario })
    } else {
        Err(capped(problems))
    }
}

/// Refuses archives that would unpack to far more than an MSEL needs,
/// before any part is decompressed.
fn check_zip(bytes: &[u8]) -> Result<(), ImportProblem> {
    let not_xlsx = |detail: String| {
        ImportProblem::file(said!(
            "the file is not an XLSX workbook ({detail}); save it from Excel as \"Excel Workbook (*.xlsx)\"",
            "tệp không phải sổ tính XLSX ({detail}); hãy lưu lại từ Excel dưới dạng \"Excel Workbook (*.xlsx)\""
        ))
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_xlsx(e.to_string()))?;
    if archive.len() > MAX_ZIP_ENTRIES {
        return Err(not_xlsx(format!("{} parts", archive.len())));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| not_xlsx(e.to_string()))?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(ImportProblem::file(said!(
            "the workbook unpacks to {size} MiB; at most {limit} MiB are read",
            "sổ tính khi giải nén có dung lượng {size} MiB; chỉ đọc tối đa {limit} MiB",
            size = total / (1024 * 1024),
            limit = MAX_UNPACKED_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

fn read_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    problems: &mut Vec<ImportProblem>,
) -> Sheet {
    let mut sheet = Sheet::new(Some(name.to_owned()));
    let place = |row: usize| Place {
        sheet: Some(name.to_owned()),
        row,
    };
    match book.merge_cells_by_sheet_name(name) {
        Ok(merged) => {
            for d in merged {
                sheet.merged.push(Merge {
                    first_row: d.start.0 as usize + 1,
                    last_row: d.end.0 as usize + 1,
                    range: format!(
                        "{}{}:{}{}",
                        column_letter(d.start.1 as usize),
                        d.start.0 + 1,
                        column_letter(d.end.1 as usize),
                        d.end.0 + 1
                    ),
                });
            }
        }
        Err(e) => problems.push(ImportProblem::file(said!(
            "sheet \"{name}\" cannot be read: {e}",
            "không đọc được trang tính \"{name}\": {e}"
        ))),
    }
    let mut reader = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        Err(e) => {
            problems.push(ImportProblem::file(said!(
                "sheet \"{name}\" cannot be read: {e}",
                "không đọc được trang tính \"{name}\": {e}"
            )));
            return sheet;
        }
    };
    let mut rows: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    let mut unkept_rows = 0;
    let mut last_unkept: Option<usize> = None;
    loop {
        let cell = match reader.next_cell_with_formula() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                problems.push(ImportProblem::file(said!(
                    "sheet \"{name}\" is damaged: {e}",
                    "trang tính \"{name}\" bị hỏng: {e}"
                )));
                break;
            }
        };
        let (r, c) = (cell.pos.0 as usize + 1, cell.pos.1 as usize);
        let reference = format!("{}{r}", column_letter(c));
        if let Some(formula) = cell.formula.filter(|f| !f.trim().is_empty()) {
            sheet.formulas.push(FormulaCell {
                row: r,
                cell: reference.clone(),
                formula,
            });
        }
        let text = match cell_text(&cell.value) {
            Ok(text) => text,
            Err(said) => {
                let (message, message_vi) = (said.en, said.vi);
                problems.push(ImportProblem::at(
                    &place(r),
                    Some(column_letter(c)),
                    said!("cell {reference} {message}", "ô {reference} {message_vi}"),
                ));
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        if c >= MAX_COLUMNS {
            problems.push(ImportProblem::at(
                &place(r),
                Some(column_letter(c)),
                said!(
                    "cell {reference} is beyond the {MAX_COLUMNS} columns that are read",
                    "ô {reference} nằm ngoài {MAX_COLUMNS} cột được đọc"
                ),
            ));
            continue;
        }
        if rows.len() >= MAX_KEPT_ROWS && !rows.contains_key(&r) {
            // Too many rows to keep: only count them, for the message.
            if last_unkept != Some(r) {
                unkept_rows += 1;
                last_unkept = Some(r);
            }
            continue;
        }
        rows.entry(r).or_default().push((c, text));
    }
    for (number, cells) in rows {
        let width = cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
        let mut row = vec![String::new(); width];
        for (c, text) in cells {
            row[c] = text;
        }
        sheet.push(number, row, problems);
    }
    sheet.total_rows += unkept_rows;
    sheet
}

/// A cell's value as the text a planner sees in it. Numbers lose a `.0`
/// (points, steps); time cells become `HH:MM:SS` offsets.
fn cell_text(value: &DataRef<'_>) -> Result<String, Said> {
    Ok(match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) => {
            let days = dt.as_f64();
            if dt.is_datetime() && days >= 1.0 {
                return Err(said!(
                    "holds a date; write offsets as +HH:MM:SS, H+2 or D+1 08:30 (as text)",
                    "chứa một ngày tháng; hãy ghi thời điểm dạng +HH:MM:SS, H+2 hoặc D+1 08:30 (dạng văn bản)"
                ));
            }
            let secs = (days * 86_400.0).round();
            if !(0.0..=f64::from(u32::MAX)).contains(&secs) {
                return Err(said!(
                    "holds a time out of range",
                    "chứa thời gian ngoài phạm vi cho phép"
                ));
            }
            let secs = secs as u64;
            format!(
                "{:02}:{:02}:{:02}",
                secs / 3600,
                secs % 3600 / 60,
                secs % 60
            )
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => {
            return Err(said!(
                "shows the error {e}; fix or clear it",
                "đang hiện lỗi {e}; hãy sửa hoặc xoá nội dung ô"
            ));
        }
    })
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}
