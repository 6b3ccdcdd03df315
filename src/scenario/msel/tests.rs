//! Round trips over the shipped library, the three spreadsheet layouts of
//! the fixtures, and the bad inputs the importer must refuse clearly.

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use calamine::{Data, Reader, Xlsx};
use proptest::prelude::*;
use rust_xlsxwriter::{Format as CellFormat, Workbook};

use super::*;
use crate::scenario::{Audience, Channel, ExpectationKind, Release, load_library};

fn shipped() -> &'static [Scenario] {
    static LIBRARY: OnceLock<Vec<Scenario>> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        load_library(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")).unwrap()
    })
}

fn ransomware() -> &'static Scenario {
    shipped()
        .iter()
        .find(|s| s.id.as_str() == "ransomware-public-service-portal")
        .unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/scenario/msel/testdata")
            .join(name),
    )
    .unwrap()
}

fn csv_problems(bytes: &[u8], options: &ImportOptions<'_>) -> Vec<String> {
    match import_csv(bytes, options) {
        Ok(_) => panic!("the import was expected to fail"),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[track_caller]
fn assert_reported(problems: &[String], expected: &str) {
    assert!(
        problems.iter().any(|p| p.contains(expected)),
        "no problem containing {expected:?}; found:\n{}",
        problems.join("\n")
    );
}

/// A sheet's name and its used cells as `((row, column), value)`.
type SheetCells = (String, Vec<((u32, u32), Data)>);

/// Every cell of every sheet, as calamine reads it.
fn cells(xlsx: &[u8]) -> Vec<SheetCells> {
    let mut book = Xlsx::new(Cursor::new(xlsx)).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).unwrap();
            let cells = range
                .used_cells()
                .map(|(r, c, v)| ((r as u32, c as u32), v.clone()))
                .collect();
            (name, cells)
        })
        .collect()
}

// Round trips over the library.

#[test]
fn every_shipped_scenario_survives_a_csv_round_trip_byte_for_byte() {
    assert!(shipped().len() >= 8);
    for scenario in shipped() {
        let exported = export_csv(scenario);
        let imported = import_csv(&exported, &ImportOptions::default())
            .unwrap_or_else(|p| panic!("{}: {p:#?}", scenario.id));
        assert_eq!(&imported, scenario, "{}", scenario.id);
        assert_eq!(export_csv(&imported), exported, "{}", scenario.id);
    }
}

#[test]
fn every_shipped_scenario_survives_an_xlsx_round_trip_cell_for_cell() {
    for scenario in shipped() {
        let exported = export_xlsx(scenario).unwrap();
        let imported = import_xlsx(&exported, &ImportOptions::default())
            .unwrap_or_else(|p| panic!("{}: {p:#?}", scenario.id));
        assert_eq!(&imported, scenario, "{}", scenario.id);
        let again = export_xlsx(&imported).unwrap();
        let (first, second) = (cells(&exported), cells(&again));
        assert_eq!(first, second, "{}", scenario.id);
        assert_eq!(first[0].0, "MSEL");
        assert_eq!(first[1].0, "Scenario");
    }
}

#[test]
fn the_exported_csv_is_standard_csv_with_a_bom_and_crlf() {
    let scenario = ransomware();
    let exported = export_csv(scenario);
    assert!(exported.starts_with(b"\xEF\xBB\xBFscenario.id,ransomware-public-service-portal\r\n"));
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&exported[3..]);
    let records: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let header = records
        .iter()
        .position(|r| r.get(0) == Some("key"))
        .unwrap();
    assert_eq!(records.len() - header - 1, scenario.injects.len());
    assert_eq!(
        records[header + 1].get(6),
        Some(scenario.injects[0].body.vi.as_str())
    );
}

#[test]
fn the_exported_workbook_has_a_bold_frozen_header_and_numbers_for_points() {
    let exported = export_xlsx(ransomware()).unwrap();
    let sheets = cells(&exported);
    let msel = &sheets[0].1;
    assert_eq!(msel[0], ((0, 0), Data::String("key".into())));
    let points_column = msel
        .iter()
        .find(|(_, v)| *v == Data::String("exp1_points".into()))
        .map(|((_, c), _)| *c)
        .unwrap();
    assert!(
        msel.iter()
            .any(|((r, c), v)| *r > 0 && *c == points_column && matches!(v, Data::Float(_)))
    );
}

#[test]
fn a_utf16_tab_separated_file_imports_too() {
    // Excel's "Unicode Text": UTF-16LE with a byte-order mark, TAB-separated.
    let text = String::from_utf8(fixture("english-semicolon.csv"))
        .unwrap()
        .replace(';', "\t");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let mapping = english_mapping();
    let options = ImportOptions {
        mapping: Some(&mapping),
        ..ImportOptions::default()
    };
    let scenario = import_csv(&bytes, &options).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(scenario.id.as_str(), "tabletop-phishing-exercise");
    assert_eq!(scenario.injects.len(), 3);
}

// The three layouts.

#[test]
fn a_planners_vietnamese_sheet_imports_with_relative_times_and_extra_columns() {
    let mut base = ransomware().clone();
    base.duration_secs = 48 * 3600;
    let options = ImportOptions {
        metadata: Some(&base),
        ..ImportOptions::default()
    };
    let bytes = fixture("planner-vi.csv");

    let preview = preview(&bytes, Format::Csv, None).unwrap();
    assert_eq!(preview.header_row, 3, "the title row above is skipped");
    assert_eq!(preview.fields[0], None, "STT is not an inject field");
    assert_eq!(preview.fields[1], Some(Field::Offset));
    assert_eq!(preview.fields[3], Some(Field::Audience));
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert!(!preview.has_metadata);

    let scenario = import_csv(&bytes, &options).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(scenario.id, base.id);
    let keys: Vec<&str> = scenario.injects.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        ["khai-mac", "canh-bao-waf", "bao-chi-hoi", "goi-y-doi-xanh"]
    );
    let releases: Vec<Release> = scenario.injects.iter().map(|i| i.release).collect();
    assert_eq!(
        releases,
        [
            Release::Scheduled { offset_secs: 0 },
            Release::Scheduled { offset_secs: 7200 },
            Release::Scheduled {
                offset_secs: 24 * 3600 + 1800
            },
            Release::Manual,
        ]
    );
    let first = &scenario.injects[0];
    assert_eq!(first.audience, Audience::Controllers);
    assert_eq!(first.channel, Channel::SituationUpdate);
    assert!(first.expectations.is_empty());
    let waf = &scenario.injects[1];
    assert_eq!(waf.audience, Audience::Blue);
    assert_eq!(waf.channel, Channel::SocAlert);
    assert_eq!(waf.expectations[0].kind, ExpectationKind::Detect);
    assert_eq!(waf.expectations[0].target_secs, 1800);
    assert_eq!(waf.expectations[0].points, 10);
    assert_eq!(scenario.injects[2].audience, Audience::All);
    assert_eq!(scenario.injects[2].channel, Channel::News);
    assert_eq!(scenario.injects[3].channel, Channel::PhoneCall);
    assert_eq!(scenario.injects[3].audience.to_string(), "team:soc-so-x");
}

#[test]
fn the_day_start_moves_what_d_plus_times_mean() {
    let mut base = ransomware().clone();
    base.duration_secs = 48 * 3600;
    let options = ImportOptions {
        metadata: Some(&base),
        day_start: DayStart::at(7, 30).unwrap(),
        ..ImportOptions::default()
    };
    let scenario = import_csv(&fixture("planner-vi.csv"), &options).unwrap();
    assert_eq!(scenario.injects[0].release.offset_secs(), Some(1800));
}

/// The planner's answer to the mapping step for `english-semicolon.csv`.
fn english_mapping() -> ColumnMapping {
    ColumnMapping::default()
        .map("Ref", Field::Key)
        .map("When", Field::Offset)
        .map("Medium", Field::Channel)
        .map("Headline (VI)", Field::TitleVi)
        .map("headline (en)", Field::TitleEn)
        .map("Message (VI)", Field::BodyVi)
        .map("Message (EN)", Field::BodyEn)
        .map(
            "Expected action",
            Field::Expectation(1, ExpectationPart::Kind),
        )
        .map("Deadline", Field::Expectation(1, ExpectationPart::Target))
        .map("Score", Field::Expectation(1, ExpectationPart::Points))
        .map("ATT&CK", Field::Expectation(1, ExpectationPart::Technique))
}

#[test]
fn an_english_semicolon_sheet_imports_with_an_explicit_mapping() {
    let bytes = fixture("english-semicolon.csv");
    let before = preview(&bytes, Format::Csv, None).unwrap();
    let missing: Vec<String> = before.problems.iter().map(ToString::to_string).collect();
    assert_reported(&missing, "no column holds `offset`");
    assert_reported(&missing, "no column holds `title_vi`");

    let mapping = english_mapping();
    let after = preview(&bytes, Format::Csv, Some(&mapping)).unwrap();
    assert!(after.problems.is_empty(), "{:?}", after.problems);
    assert_eq!(after.fields[2], Some(Field::Audience), "suggestions stay");

    let options = ImportOptions {
        mapping: Some(&mapping),
        ..ImportOptions::default()
    };
    let scenario = import_csv(&bytes, &options).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(scenario.id.as_str(), "tabletop-phishing-exercise");
    assert_eq!(scenario.version.get(), 2);
    assert_eq!(
        scenario.summary.vi,
        "Một cán bộ mở tệp đính kèm độc hại;\nđội ứng cứu phải phát hiện và cô lập máy."
    );
    assert_eq!(scenario.techniques.len(), 2);
    let phish = &scenario.injects[0];
    assert_eq!(phish.title.vi, "Thư lạ từ \"Văn phòng UBND\"");
    assert_eq!(
        phish.body.en,
        "Subject: \"Plan 2025\".\nAttachment: ke-hoach.docm"
    );
    assert_eq!(scenario.injects[1].release.offset_secs(), Some(5400));
    assert_eq!(scenario.injects[2].release.offset_secs(), Some(4500));
    assert!(scenario.injects[2].expectations.is_empty());
    // What was imported exports as our own layout and reads back the same.
    let exported = export_csv(&scenario);
    assert_eq!(
        import_csv(&exported, &ImportOptions::default()),
        Ok(scenario)
    );
}

/// A planner's workbook: Vietnamese headers, a title row, a time typed as
/// an Excel time and points typed as numbers.
fn planner_workbook(edit: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Kịch bản chi tiết").unwrap();
    sheet.write_string(0, 0, "DIỄN TẬP SỞ X").unwrap();
    let headers = [
        "Giờ",
        "Mã",
        "Đối tượng",
        "Kênh",
        "Tiêu đề",
        "Tiêu đề (EN)",
        "Nội dung",
        "Nội dung (EN)",
        "Kỳ vọng 1 - Loại",
        "Kỳ vọng 1 - Thời hạn",
        "Điểm",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let time = CellFormat::new().set_num_format("hh:mm:ss");
    // 00:45:00 as an Excel time value.
    sheet
        .write_number_with_format(3, 0, 45.0 / 1440.0, &time)
        .unwrap();
    let row = [
        "mo-dau",
        "Đội phòng thủ",
        "email",
        "Thư",
        "Mail",
        "Nội dung",
        "Body",
        "Báo cáo",
        "00:30:00",
    ];
    for (c, v) in row.iter().enumerate() {
        sheet.write_string(3, c as u16 + 1, *v).unwrap();
    }
    sheet.write_number(3, 10, 5.0).unwrap();
    edit(sheet);
    book.save_to_buffer().unwrap()
}

#[test]
fn a_planners_workbook_with_vietnamese_headers_and_excel_times_imports() {
    let bytes = planner_workbook(|_| {});
    let options = ImportOptions {
        metadata: Some(ransomware()),
        ..ImportOptions::default()
    };
    let scenario = import_xlsx(&bytes, &options).unwrap_or_else(|p| panic!("{p:#?}"));
    let inject = &scenario.injects[0];
    assert_eq!(inject.release.offset_secs(), Some(2700));
    assert_eq!(inject.audience, Audience::Blue);
    assert_eq!(inject.expectations[0].kind, ExpectationKind::Report);
    assert_eq!(inject.expectations[0].points, 5);
    assert_eq!(Format::detect(&bytes), Format::Xlsx);
}

// Bad input.

#[test]
fn an_offset_of_99_99_is_reported_with_its_row_and_column() {
    let bytes = String::from_utf8(fixture("planner-vi.csv"))
        .unwrap()
        .replace("H+2", "+99:99");
    let options = ImportOptions {
        metadata: Some(ransomware()),
        ..ImportOptions::default()
    };
    let problems = csv_problems(bytes.as_bytes(), &options);
    assert_reported(
        &problems,
        "row 5, column \"Thời điểm\": `+99:99` is a two-part time",
    );
}

#[test]
fn an_offset_beyond_the_duration_is_reported_with_its_row() {
    // The ransomware scenario lasts 6 hours; D+1 08:30 is a day later.
    let options = ImportOptions {
        metadata: Some(ransomware()),
        ..ImportOptions::default()
    };
    let problems = csv_problems(&fixture("planner-vi.csv"), &options);
    assert_reported(
        &problems,
        "row 7, column \"Thời điểm\": offset +24:30:00 is beyond the planned duration 06:00:00",
    );
}

#[test]
fn bad_cells_in_our_own_layout_name_their_row_and_column() {
    let csv = String::from_utf8(export_csv(ransomware())).unwrap();
    let broken = csv.replacen(",soc_alert,", ",fax,", 1).replacen(
        "scenario.min_level,3",
        "scenario.min_level,9",
        1,
    );
    let problems = csv_problems(broken.as_bytes(), &ImportOptions::default());
    assert_reported(
        &problems,
        "column \"channel\": unknown `channel` value `fax`",
    );
    assert_reported(
        &problems,
        "row 9, column \"scenario.min_level\": `min_level` must be a security level between 1 and 5, found 9",
    );
}

#[test]
fn a_file_without_metadata_needs_a_scenario_to_import_into() {
    let problems = csv_problems(&fixture("planner-vi.csv"), &ImportOptions::default());
    assert_reported(&problems, "the file has no scenario metadata");
}

#[test]
fn mixed_delimiters_are_reported_with_the_row() {
    let bytes = String::from_utf8(fixture("english-semicolon.csv"))
        .unwrap()
        .replace(
            "report-due;01:15:00;controllers;situation_update",
            "report-due,01:15:00,controllers,situation_update",
        );
    let mapping = english_mapping();
    let options = ImportOptions {
        mapping: Some(&mapping),
        ..ImportOptions::default()
    };
    let problems = csv_problems(bytes.as_bytes(), &options);
    assert_reported(
        &problems,
        "row 18: the row has 10 cells but the header row has 13; the file is read with `;` as delimiter but this row contains `,`",
    );
}

#[test]
fn broken_quotes_are_reported_with_the_row() {
    let csv = String::from_utf8(export_csv(ransomware())).unwrap();
    // A quote opening the offset cell of the first inject (row 22) runs
    // into the next quoted cell.
    let stray = csv.replacen("\r\ncontroller-briefing,", "\r\ncontroller-briefing,\"", 1);
    let problems = csv_problems(stray.as_bytes(), &ImportOptions::default());
    assert_reported(
        &problems,
        "row 22, column \"B\": (line 22) unexpected `-` after the closing quote",
    );
    let unclosed = format!("{csv}\"oops");
    let problems = csv_problems(unclosed.as_bytes(), &ImportOptions::default());
    assert_reported(&problems, "a quoted cell is opened here and never closed");
}

#[test]
fn empty_rows_anywhere_are_skipped() {
    let csv = String::from_utf8(export_csv(ransomware())).unwrap();
    let spaced = csv.replace("\r\n", "\r\n,,,\r\n\r\n");
    assert_eq!(
        import_csv(spaced.as_bytes(), &ImportOptions::default()).as_ref(),
        Ok(ransomware())
    );
}

#[test]
fn invalid_utf8_is_refused_with_its_byte_position() {
    let mut bytes = export_csv(ransomware());
    bytes[40] = 0xFF;
    let problems = csv_problems(&bytes, &ImportOptions::default());
    assert_reported(&problems, "the file is not UTF-8: byte 40 (line 1) is 0xFF");
}

#[test]
fn ten_thousand_injects_are_refused_before_they_are_read() {
    let csv = String::from_utf8(export_csv(ransomware())).unwrap();
    let last_row = csv.trim_end().lines().last().unwrap().to_owned();
    let mut big = csv.clone();
    for _ in 0..10_000 - ransomware().injects.len() {
        big.push_str(&last_row);
        big.push_str("\r\n");
    }
    let problems = csv_problems(big.as_bytes(), &ImportOptions::default());
    assert_eq!(
        problems,
        [
            "the file has 10000 inject rows; a scenario holds at most 5000 injects. Split it into several scenarios"
        ]
    );
}

#[test]
fn an_upload_over_20_mib_is_refused_before_parsing() {
    let bytes = vec![b'a'; 50 * 1024 * 1024];
    let problems = csv_problems(&bytes, &ImportOptions::default());
    assert_reported(
        &problems,
        "the file is 50.0 MiB; at most 20 MiB can be imported",
    );
    assert!(import_xlsx(&bytes, &ImportOptions::default()).is_err());
}

#[test]
fn an_oversize_cell_is_reported_with_its_place() {
    let csv = String::from_utf8(export_csv(ransomware())).unwrap();
    let huge = "x".repeat(MAX_CELL_BYTES + 1);
    let broken = csv.replacen(
        "scenario.title_en,",
        &format!("scenario.title_en,{huge}"),
        1,
    );
    let problems = csv_problems(broken.as_bytes(), &ImportOptions::default());
    assert_reported(&problems, "row 4, column \"B\": the cell holds");
    assert_reported(&problems, "a cell may hold at most 65536 bytes (64 KiB)");
}

#[test]
fn a_formula_cell_is_refused_with_its_address() {
    let bytes = planner_workbook(|sheet| {
        sheet.write_formula(3, 10, "=2+3").unwrap();
    });
    let options = ImportOptions {
        metadata: Some(ransomware()),
        ..ImportOptions::default()
    };
    let problems: Vec<String> = import_xlsx(&bytes, &options)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_reported(
        &problems,
        "sheet \"Kịch bản chi tiết\", row 4: cell K4 holds a formula (=2+3)",
    );
}

#[test]
fn merged_cells_in_the_table_are_refused_but_a_merged_title_is_not() {
    let options = ImportOptions {
        metadata: Some(ransomware()),
        ..ImportOptions::default()
    };
    let title = planner_workbook(|sheet| {
        sheet
            .merge_range(0, 0, 0, 5, "DIỄN TẬP SỞ X", &CellFormat::new())
            .unwrap();
    });
    assert!(import_xlsx(&title, &options).is_ok());
    let table = planner_workbook(|sheet| {
        sheet
            .merge_range(4, 4, 5, 5, "Thư", &CellFormat::new())
            .unwrap();
    });
    let problems: Vec<String> = import_xlsx(&table, &options)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_reported(&problems, "row 5: cells E5:F6 are merged");
}

#[test]
fn an_error_cell_is_refused_with_its_address() {
    let exported = export_xlsx(ransomware()).unwrap();
    assert!(import_xlsx(&exported, &ImportOptions::default()).is_ok());
    let bytes = planner_workbook(|sheet| {
        sheet
            .write_formula(
                3,
                9,
                rust_xlsxwriter::Formula::new("=1/0").set_result("#DIV/0!"),
            )
            .unwrap();
    });
    let options = ImportOptions {
        metadata: Some(ransomware()),
        ..ImportOptions::default()
    };
    assert!(import_xlsx(&bytes, &options).is_err());
}

#[test]
fn a_csv_uploaded_as_xlsx_is_refused_clearly() {
    let problems: Vec<String> = import_xlsx(&export_csv(ransomware()), &ImportOptions::default())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_reported(&problems, "the file is not an XLSX workbook");
}

#[test]
fn a_body_too_long_for_excel_is_an_export_error_not_a_panic() {
    let mut scenario = ransomware().clone();
    scenario.injects[1].body.en = "x".repeat(40_000);
    let error = export_xlsx(&scenario).unwrap_err();
    assert_eq!(
        error.to_string(),
        "sheet \"MSEL\", cell H3 (body_en) holds 40000 characters; an Excel cell holds at most 32 767. Export this scenario as CSV or TOML instead"
    );
    // CSV has no such limit.
    let csv = export_csv(&scenario);
    assert_eq!(import_csv(&csv, &ImportOptions::default()), Ok(scenario));
}

#[test]
fn a_mapping_naming_a_missing_column_is_reported() {
    let mapping = ColumnMapping::default().map("Nowhere", Field::Key);
    let options = ImportOptions {
        mapping: Some(&mapping),
        ..ImportOptions::default()
    };
    let problems = csv_problems(&export_csv(ransomware()), &options);
    assert_reported(
        &problems,
        "names column \"Nowhere\", which the header row does not have",
    );
}

#[test]
fn a_column_mapping_reads_from_json() {
    let mapping: ColumnMapping = serde_json::from_str(
        r#"{"header_row": 3, "rules": [{"column": 0, "field": null}, {"column": "Ref", "field": "exp2_target"}]}"#,
    )
    .unwrap();
    assert_eq!(mapping.header_row, Some(3));
    assert_eq!(mapping.rules[0].column, ColumnRef::Position(0));
    assert_eq!(
        mapping.rules[1].field,
        Some(Field::Expectation(2, ExpectationPart::Target))
    );
}

fn exported_csv() -> &'static [u8] {
    static CSV: OnceLock<Vec<u8>> = OnceLock::new();
    CSV.get_or_init(|| export_csv(ransomware()))
}

fn exported_xlsx() -> &'static [u8] {
    static XLSX: OnceLock<Vec<u8>> = OnceLock::new();
    XLSX.get_or_init(|| export_xlsx(ransomware()).unwrap())
}

fn splice(bytes: &[u8], at: usize, len: usize, insert: &[u8]) -> Vec<u8> {
    let at = at % (bytes.len() + 1);
    let end = (at + len).min(bytes.len());
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(insert);
    out.extend_from_slice(&bytes[end..]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn import_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let options = ImportOptions { metadata: Some(ransomware()), ..ImportOptions::default() };
        if let Err(problems) = import_csv(&bytes, &options) {
            prop_assert!(!problems.is_empty());
        }
        let _ = import_xlsx(&bytes, &options);
        let _ = preview(&bytes, Format::Csv, None);
    }

    #[test]
    fn import_never_panics_on_a_mangled_export(
        at in any::<usize>(),
        len in 0usize..64,
        insert in prop_oneof![
            Just(b"\"".to_vec()), Just(b";".to_vec()), Just(b",".to_vec()), Just(b"\r\n".to_vec()),
            Just(b"+99:99".to_vec()), Just(b"D+1 25:00".to_vec()), Just(b"\xFF".to_vec()),
            Just(b"scenario.".to_vec()), Just(b"exp9_kind".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ],
    ) {
        let bytes = splice(exported_csv(), at, len, &insert);
        if let Err(problems) = import_csv(&bytes, &ImportOptions::default()) {
            prop_assert!(!problems.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn import_never_panics_on_a_damaged_workbook(
        at in any::<usize>(),
        len in 0usize..16,
        insert in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let bytes = splice(exported_xlsx(), at, len, &insert);
        let _ = import_xlsx(&bytes, &ImportOptions::default());
    }
}
