//! The CSV side: the writer, the decoding of uploaded bytes, and a strict
//! CSV reader.
//!
//! The reader is our own on purpose: the `csv` crate recovers silently from
//! a stray or unclosed quote (it is built to never fail on messy data),
//! while an MSEL import must say "row 7: a quoted cell is never closed"
//! instead of importing half the file into one body. It follows RFC 4180
//! (quotes doubled inside quoted cells) and accepts CRLF, LF and CR line
//! ends. The `csv` crate checks in the tests that what we write is standard.

use std::borrow::Cow;

use super::super::model::Scenario;
use super::super::problem::{Said, said};
use super::layout::{self, CSV_META_PREFIX};
use super::problem::{ImportProblem, Place};
use super::sheet::{Sheet, Source};

const BOM: &[u8] = b"\xEF\xBB\xBF";
const DELIMITERS: [char; 3] = [',', ';', '\t'];

/// The scenario as one CSV file: UTF-8 with a byte-order mark (so Excel
/// reads Vietnamese correctly), CRLF line ends, `scenario.*` key/value rows,
/// a blank row, then the inject table.
pub(super) fn export(scenario: &Scenario) -> Vec<u8> {
    let mut out = String::new();
    for (key, value) in layout::metadata(scenario) {
        record(
            &mut out,
            &[format!("{CSV_META_PREFIX}{key}"), value.as_text()],
        );
    }
    out.push_str("\r\n");
    let slots = layout::slots_needed(scenario);
    let header: Vec<String> = layout::columns(slots).iter().map(|f| f.name()).collect();
    record(&mut out, &header);
    for inject in &scenario.injects {
        let cells: Vec<String> = layout::inject_row(inject, slots)
            .iter()
            .map(layout::Value::as_text)
            .collect();
        record(&mut out, &cells);
    }
    let mut bytes = BOM.to_vec();
    bytes.extend_from_slice(out.as_bytes());
    bytes
}

fn record(out: &mut String, cells: &[String]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(cell);
        }
    }
    out.push_str("\r\n");
}

/// Decodes and splits an uploaded CSV file into rows.
pub(super) fn read(bytes: &[u8]) -> Result<Source, Vec<ImportProblem>> {
    let text = decode(bytes).map_err(|p| vec![p])?;
    let delimiter = sniff_delimiter(&text);
    let mut sheet = Sheet::new(None);
    sheet.delimiter = Some(delimiter);
    let mut problems = Vec::new();
    split_records(&text, delimiter, &mut sheet, &mut problems).map_err(|p| vec![p])?;
    if problems.is_empty() {
        Ok(Source {
            msel: sheet,
            scenario: None,
        })
    } else {
        Err(super::problem::capped(problems))
    }
}

/// UTF-8 (with or without a byte-order mark) or UTF-16 with a byte-order
/// mark (Excel's "Unicode Text"). Anything else is refused with the place
/// of the first byte that is not UTF-8: guessing between Windows-1258,
/// TCVN3 and VNI would silently garble Vietnamese.
pub(super) fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, ImportProblem> {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    let (body, skipped) = match bytes.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (bytes, 0),
    };
    match std::str::from_utf8(body) {
        Ok(text) if text.contains('\0') => Err(ImportProblem::file(said!(
            "the file contains NUL bytes: it looks like UTF-16 without a byte-order mark, or not a text file. Save it from Excel as \"CSV UTF-8 (Comma delimited)\"",
            "tệp chứa byte NUL: có vẻ là UTF-16 không có BOM, hoặc không phải tệp văn bản. Hãy lưu lại từ Excel dưới dạng \"CSV UTF-8 (Comma delimited)\""
        ))),
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(error) => {
            let at = skipped + error.valid_up_to();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            let byte = bytes.get(at).copied().unwrap_or_default();
            Err(ImportProblem::file(said!(
                "the file is not UTF-8: byte {at} (line {line}) is 0x{byte:02X}. It may be in a legacy Vietnamese encoding (Windows-1258, TCVN3, VNI); save it from Excel as \"CSV UTF-8 (Comma delimited)\"",
                "tệp không phải UTF-8: byte {at} (dòng {line}) là 0x{byte:02X}. Có thể tệp dùng bảng mã tiếng Việt cũ (Windows-1258, TCVN3, VNI); hãy lưu lại từ Excel dưới dạng \"CSV UTF-8 (Comma delimited)\""
            )))
        }
    }
}

fn utf16(body: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ImportProblem> {
    if !body.len().is_multiple_of(2) {
        return Err(ImportProblem::file(said!(
            "the file starts like UTF-16 but has an odd number of bytes; it is cut short or not UTF-16",
            "tệp bắt đầu như UTF-16 nhưng có số byte lẻ; tệp bị cắt cụt hoặc không phải UTF-16"
        )));
    }
    let units = body.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(body.len() / 2);
    for (i, decoded) in char::decode_utf16(units).enumerate() {
        match decoded {
            Ok(c) => text.push(c),
            Err(_) => {
                return Err(ImportProblem::file(said!(
                    "the UTF-16 text is broken at byte {at} (an unpaired surrogate)",
                    "văn bản UTF-16 bị hỏng tại byte {at} (surrogate không có cặp)",
                    at = 2 + 2 * i
                )));
            }
        }
    }
    Ok(text)
}

/// The delimiter used most on the first line outside quotes: `,` (Excel in
/// English locales), `;` (Excel in vi-VN and most of Europe) or TAB.
pub(super) fn sniff_delimiter(text: &str) -> char {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            c if !quoted => {
                if let Some(i) = DELIMITERS.iter().position(|d| *d == c) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Splits `text` into rows (records). Blank rows keep their number but are
/// not stored. A quoting error stops the reading: after it, cell
/// boundaries are guesswork.
fn split_records(
    text: &str,
    delimiter: char,
    sheet: &mut Sheet,
    problems: &mut Vec<ImportProblem>,
) -> Result<(), ImportProblem> {
    let mut chars = text.chars().peekable();
    let mut row = 1;
    let mut line = 1;
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let at = |row: usize, line: usize, column: usize, said: Said| {
        let (message, message_vi) = (said.en, said.vi);
        ImportProblem::at(
            &Place { sheet: None, row },
            Some(layout::column_letter(column)),
            said!("(line {line}) {message}", "(dòng {line}) {message_vi}"),
        )
    };
    loop {
        // At the start of a cell.
        if chars.peek() == Some(&'"') {
            chars.next();
            let opened_line = line;
            loop {
                match chars.next() {
                    None => {
                        return Err(at(
                            row,
                            opened_line,
                            cells.len(),
                            said!(
                                "a quoted cell is opened here and never closed; check the quotes of this row",
                                "một ô mở dấu ngoặc kép ở đây nhưng không đóng; hãy kiểm tra dấu ngoặc kép của dòng này"
                            ),
                        ));
                    }
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        cell.push('"');
                    }
                    Some('"') => break,
                    Some(c) => {
                        if c == '\n' {
                            line += 1;
                        }
                        cell.push(c);
                    }
                }
            }
            match chars.peek() {
                None | Some('\r') | Some('\n') => {}
                Some(c) if *c == delimiter => {}
                Some(c) => {
                    return Err(at(
                        row,
                        line,
                        cells.len(),
                        said!(
                            "unexpected `{c}` after the closing quote of a cell; a quote inside a quoted cell is written twice (\"\")",
                            "ký tự `{c}` không hợp lệ sau dấu ngoặc kép đóng ô; dấu ngoặc kép bên trong ô phải viết đôi (\"\")"
                        ),
                    ));
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == delimiter || *c == '\r' || *c == '\n' {
                    break;
                }
                if *c == '"' {
                    return Err(at(
                        row,
                        line,
                        cells.len(),
                        said!(
                            "a quote inside a cell that does not start with a quote; wrap the cell in quotes and write the quote twice (\"\")",
                            "có dấu ngoặc kép trong một ô không mở đầu bằng dấu ngoặc kép; hãy đặt cả ô trong ngoặc kép và viết dấu ngoặc kép bên trong thành đôi (\"\")"
                        ),
                    ));
                }
                cell.push(*c);
                chars.next();
            }
        }
        // After a cell.
        match chars.next() {
            Some(c) if c == delimiter => cells.push(std::mem::take(&mut cell)),
            Some(end @ ('\r' | '\n')) => {
                if end == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cells.push(std::mem::take(&mut cell));
                sheet.push(row, std::mem::take(&mut cells), problems);
                row += 1;
                line += 1;
                if chars.peek().is_none() {
                    return Ok(());
                }
            }
            _ => {
                cells.push(std::mem::take(&mut cell));
                sheet.push(row, cells, problems);
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
        let mut sheet = Sheet::new(None);
        let mut problems = Vec::new();
        split_records(text, sniff_delimiter(text), &mut sheet, &mut problems)
            .map_err(|p| p.to_string())?;
        assert!(problems.is_empty());
        Ok(sheet
            .rows
            .into_iter()
            .map(|r| (r.number, r.cells))
            .collect())
    }

    #[test]
    fn quoted_cells_keep_delimiters_quotes_and_line_breaks() {
        let found = rows("a,\"b, \"\"c\"\"\nd\",e\r\nf,,g\n").unwrap();
        assert_eq!(
            found[0],
            (1, vec!["a".into(), "b, \"c\"\nd".into(), "e".into()])
        );
        assert_eq!(found[1], (2, vec!["f".into(), "".into(), "g".into()]));
    }

    #[test]
    fn blank_rows_are_skipped_but_keep_their_numbers() {
        let found = rows("a;b\n\n;\nc;d").unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].0, 4);
    }

    #[test]
    fn an_unclosed_quote_names_the_row_where_it_opened() {
        let error = rows("a,b\nc,\"d\ne,f\n").unwrap_err();
        assert!(
            error.starts_with(
                "row 2, column \"B\": (line 2) a quoted cell is opened here and never closed"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_stray_quote_is_refused_with_its_place() {
        let error = rows("a,b\nc,say \"hi\"\n").unwrap_err();
        assert!(error.starts_with("row 2, column \"B\""), "{error}");
        let error = rows("a,\"b\"c\n").unwrap_err();
        assert!(
            error.contains("unexpected `c` after the closing quote"),
            "{error}"
        );
    }

    #[test]
    fn the_delimiter_is_the_one_used_most_on_the_first_line() {
        assert_eq!(sniff_delimiter("a;b;\"c,d,e\"\nx,y"), ';');
        assert_eq!(sniff_delimiter("a,b"), ',');
        assert_eq!(sniff_delimiter("a\tb\tc"), '\t');
        assert_eq!(sniff_delimiter("single"), ',');
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "Thời điểm".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&bytes).unwrap(), "Thời điểm");
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_byte_and_line() {
        // "Thời" in Windows-1258 is not UTF-8.
        let error = decode(b"key,offset\nabc,Th\xF4\xD2i\n").unwrap_err();
        assert!(
            error.message.contains("byte 17 (line 2) is 0xF4"),
            "{error}"
        );
        assert!(error.message.contains("CSV UTF-8"));
    }
}
