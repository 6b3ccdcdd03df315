//! Export round trips: what a reader gets back from each format.

use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::maturity::*;

pub(crate) fn sample_framework() -> FrameworkRef {
    let dim = |code: &str, vi: &str, en: &str, weight: f64| DimensionDef {
        code: code.into(),
        name_vi: vi.into(),
        name_en: en.into(),
        weight,
    };
    let kpi = |code: &str, vi: &str, en: &str, weight: f64| KpiDef {
        code: code.into(),
        name_vi: vi.into(),
        name_en: en.into(),
        weight,
    };
    FrameworkRef {
        id: "vn-irt".into(),
        version: "1".into(),
        name: "Khung năng lực đội ứng cứu (đề xuất) / Response-team framework (proposal)".into(),
        dimensions: vec![
            dim(
                "D1",
                "Tổ chức và quản trị",
                "Organisation & governance",
                0.10,
            ),
            dim("D2", "Con người", "People", 0.15),
            dim("D3", "Công cụ", "Tools", 0.10),
            dim("D4", "Quy trình và tuân thủ", "Process & compliance", 0.20),
            dim("D5", "Kết quả diễn tập", "Drill performance", 0.45),
        ],
        kpis: vec![
            kpi("K1", "Tỷ lệ phát hiện", "Detection coverage", 0.25),
            kpi("K2", "Thời gian phát hiện", "Time to detect", 0.20),
        ],
        levels: vec![
            LevelDef {
                level: 1,
                name_vi: "Khởi đầu".into(),
                name_en: "Initial".into(),
                min_score: 0.0,
                gates: vec![],
            },
            LevelDef {
                level: 3,
                name_vi: "Xác lập".into(),
                name_en: "Defined".into(),
                min_score: 55.0,
                gates: vec!["≥1 live-fire drill in 12 months".into()],
            },
        ],
    }
}

pub(crate) fn sample_content() -> MaturityContent {
    let drill_a = Uuid::from_u128(0xa);
    let drill_b = Uuid::from_u128(0xb);
    MaturityContent {
        year: 2026,
        organisation: OrgRef {
            id: Uuid::from_u128(1),
            slug: "bo-tttt".into(),
            name: "Bộ Thông tin và Truyền thông".into(),
        },
        framework: sample_framework(),
        drill_logs: vec![
            DrillLogRef {
                drill_id: drill_a,
                title: "Diễn tập thực chiến quý I".into(),
                ended_at: Some("2026-03-20T10:00:00.000000Z".into()),
                events: 42,
                head_hash: "ab".repeat(32),
            },
            DrillLogRef {
                drill_id: drill_b,
                title: "Diễn tập DDoS, \"Cổng dịch vụ công\"".into(),
                ended_at: Some("2026-09-02T10:00:00.000000Z".into()),
                events: 17,
                head_hash: "cd".repeat(32),
            },
        ],
        teams: vec![
            TeamMaturity {
                team_id: Uuid::from_u128(7),
                team_name: "Đội ứng cứu sự cố Bộ: CSIRT/Trung tâm".into(),
                level: 2,
                level_name_vi: "Cơ bản".into(),
                level_name_en: "Basic".into(),
                score: 61.25,
                dimensions: vec![
                    DimensionScore { code: "D1".into(), score: Some(75.0) },
                    DimensionScore { code: "D2".into(), score: Some(80.0) },
                    DimensionScore { code: "D3".into(), score: None },
                    DimensionScore { code: "D4".into(), score: Some(50.0) },
                    DimensionScore { code: "D5".into(), score: Some(58.333333333333336) },
                ],
                gates_failed: vec![
                    "mức 3 cần một cuộc diễn tập thực chiến trong 12 tháng cho mỗi hệ thống cấp 3 trở lên: thiếu cho Cổng dịch vụ công".into(),
                ],
                drills: vec![
                    TeamDrill {
                        drill_id: drill_a,
                        title: "Diễn tập thực chiến quý I".into(),
                        ended_at: Some("2026-03-20T10:00:00.000000Z".into()),
                        kpis: vec![
                            KpiScore { code: "K1".into(), score: Some(66.66666666666667) },
                            KpiScore { code: "K2".into(), score: Some(81.2) },
                        ],
                        mean_time_to_detect_s: Some(1260.5),
                    },
                    TeamDrill {
                        drill_id: drill_b,
                        title: "Diễn tập DDoS, \"Cổng dịch vụ công\"".into(),
                        ended_at: Some("2026-09-02T10:00:00.000000Z".into()),
                        kpis: vec![
                            KpiScore { code: "K1".into(), score: Some(100.0) },
                            KpiScore { code: "K2".into(), score: None },
                        ],
                        mean_time_to_detect_s: None,
                    },
                ],
                trend: vec![YearScore {
                    year: 2025,
                    score: 48.0,
                    level: 2,
                    framework_version: "1".into(),
                }],
            },
            TeamMaturity {
                team_id: Uuid::from_u128(8),
                team_name: "=cmd|' /C calc'!A0".into(),
                level: 1,
                level_name_vi: "Khởi đầu".into(),
                level_name_en: "Initial".into(),
                score: 12.0,
                dimensions: vec![],
                gates_failed: vec![],
                drills: vec![],
                trend: vec![],
            },
        ],
    }
}

fn generated_at() -> DateTime<Utc> {
    "2026-11-21T08:00:00Z".parse().unwrap()
}

pub(crate) fn sample_export() -> MaturityExport {
    MaturityExport::new(sample_content(), generated_at(), "btc".into())
}

fn empty_export() -> MaturityExport {
    let mut content = sample_content();
    content.teams.clear();
    content.drill_logs.clear();
    MaturityExport::new(content, generated_at(), "btc".into())
}

#[test]
fn xlsx_reads_back_with_every_value_intact() {
    let export = sample_export();
    let bytes = write(&export, Format::Xlsx).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 4, "summary, two teams, framework: {names:?}");
    assert_eq!(names[0], "Tổng hợp - Summary");
    assert_eq!(names[1], "Đội ứng cứu sự cố Bộ- CSIRT-");
    assert_eq!(names[3], "Khung năng lực - Framework");

    let summary = book.worksheet_range(&names[0]).unwrap();
    let cell = |r: u32, c: u32| summary.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(
        cell(2, 1),
        Data::String("Bộ Thông tin và Truyền thông".into())
    );
    assert_eq!(cell(4, 1), Data::String(export.generated_at.clone()));
    assert_eq!(cell(5, 1), Data::String("btc".into()));
    assert_eq!(cell(6, 1), Data::String(export.content_sha256.clone()));
    // Team rows start below the metadata and a header row.
    assert_eq!(
        cell(9, 0),
        Data::String("Đội ứng cứu sự cố Bộ: CSIRT/Trung tâm".into())
    );
    assert_eq!(cell(9, 1), Data::Float(2.0));
    assert_eq!(cell(9, 3), Data::Float(61.25));
    assert_eq!(cell(9, 4), Data::Float(75.0));
    assert_eq!(
        cell(9, 6),
        Data::Empty,
        "a missing dimension stays empty, not 0"
    );
    assert_eq!(cell(9, 8), Data::Float(58.333333333333336));
    assert!(matches!(cell(9, 9), Data::String(s) if s.contains("Cổng dịch vụ công")));
    assert_eq!(
        cell(10, 0),
        Data::String("=cmd|' /C calc'!A0".into()),
        "text, not a formula"
    );
    // The drill logs with their head hashes.
    assert_eq!(cell(13, 4), Data::String("ab".repeat(32)));
    assert_eq!(
        cell(14, 0),
        Data::String("Diễn tập DDoS, \"Cổng dịch vụ công\"".into())
    );
    assert_eq!(cell(14, 3), Data::Float(17.0));

    let team = book.worksheet_range(&names[1]).unwrap();
    let cell = |r: u32, c: u32| team.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(4, 1), Data::String(Uuid::from_u128(0xa).to_string()));
    assert_eq!(cell(4, 3), Data::Float(66.66666666666667));
    assert_eq!(cell(4, 4), Data::Float(81.2));
    assert_eq!(cell(4, 5), Data::Float(1260.5));
    assert_eq!(cell(5, 4), Data::Empty);

    let framework = book.worksheet_range(&names[3]).unwrap();
    let cell = |r: u32, c: u32| framework.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(3, 0), Data::String("D1".into()));
    assert_eq!(cell(7, 3), Data::Float(0.45));
    assert_eq!(cell(10, 2), Data::String("Detection coverage".into()));
}

#[test]
fn an_empty_year_still_gives_every_sheet() {
    let bytes = write(&empty_export(), Format::Xlsx).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names().len(), 2);
    let summary = book.worksheet_range("Tổng hợp - Summary").unwrap();
    assert_eq!(
        summary.get_value((1, 1)),
        Some(&Data::String("2026".into()))
    );
}

#[test]
fn csv_has_a_bom_the_columns_and_values_that_read_back() {
    let export = sample_export();
    let bytes = write(&export, Format::Csv).unwrap();
    assert_eq!(&bytes[..3], b"\xef\xbb\xbf");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers, csv_columns(&export.content.framework));
    assert_eq!(&headers[..3], ["record", "year", "organisation"]);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(kinds, ["export", "team", "drill", "drill", "team"]);
    assert_eq!(&rows[0][col("content_sha256")], export.content_sha256);
    assert_eq!(&rows[0][col("framework_version")], "1");
    assert_eq!(&rows[0][col("generated_by")], "btc");
    assert_eq!(
        &rows[1][col("team")],
        "Đội ứng cứu sự cố Bộ: CSIRT/Trung tâm"
    );
    assert_eq!(
        rows[1][col("D5")].parse::<f64>().unwrap(),
        58.333333333333336
    );
    assert_eq!(&rows[1][col("D3")], "");
    assert_eq!(&rows[2][col("drill")], "Diễn tập thực chiến quý I");
    assert_eq!(&rows[2][col("drill_log_head")], "ab".repeat(32));
    assert_eq!(&rows[2][col("mean_time_to_detect_s")], "1260.5");
    assert_eq!(
        &rows[3][col("drill")],
        "Diễn tập DDoS, \"Cổng dịch vụ công\""
    );
    // A cell that a spreadsheet would run as a formula is defused.
    assert_eq!(&rows[4][col("team")], "'=cmd|' /C calc'!A0");
}

#[test]
fn the_hash_covers_the_data_and_not_who_generated_it() {
    let a = sample_export();
    let b = MaturityExport::new(sample_content(), Utc::now(), "someone else".into());
    assert_eq!(a.content_sha256, b.content_sha256);
    let mut changed = sample_content();
    changed.teams[0].score = 61.26;
    assert_ne!(content_hash(&changed), a.content_sha256);
    let mut changed = sample_content();
    changed.drill_logs[0].head_hash = "ef".repeat(32);
    assert_ne!(content_hash(&changed), a.content_sha256);
}

#[test]
fn the_hash_is_recomputable_from_the_json_export_alone() {
    let bytes = write(&sample_export(), Format::Json).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let recomputed = super::hash::content_sha256(&value["content"]);
    assert_eq!(value["content_sha256"], recomputed.as_str());
    // With Python, as docs/exports.md tells an inspector, when it is there.
    let script = "import json,hashlib,sys; d=json.load(sys.stdin)['content']; \
                  print(hashlib.sha256(json.dumps(d,sort_keys=True,separators=(',',':'),ensure_ascii=False).encode()).hexdigest())";
    if let Ok(mut child) = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), recomputed);
    }
}

/// Runs `pdftotext` on a PDF. `None` when poppler-utils is missing outside CI (the
/// test then says so and passes); in CI a missing tool fails the test.
pub(crate) fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.pdf");
    std::fs::write(&path, pdf).unwrap();
    match Command::new("pdftotext").arg(&path).arg("-").output() {
        Ok(out) => {
            assert!(out.status.success(), "pdftotext failed: {out:?}");
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("pdftotext (poppler-utils) is required in CI: {e}");
            }
            eprintln!("skipped: pdftotext not found ({e}); install poppler-utils");
            None
        }
    }
}

#[test]
fn pdf_vietnamese_text_survives_extraction() {
    let export = sample_export();
    let bytes = write(&export, Format::Pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let Some(text) = pdftotext(&bytes) else {
        return;
    };
    // pdftotext may break lines anywhere; compare with whitespace collapsed.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "Mức độ trưởng thành",
        "Cổng dịch vụ công",
        "Bộ Thông tin và Truyền thông",
        "Đội ứng cứu sự cố Bộ: CSIRT/Trung tâm",
        "Điểm theo lĩnh vực của từng đội",
        "21/11/2026 15:00",
        "vn-irt 1",
        &export.content_sha256,
    ] {
        assert!(
            flat.contains(needle),
            "{needle:?} not in the PDF text:\n{flat}"
        );
    }
}

#[test]
fn an_empty_year_gives_a_valid_pdf_that_says_so() {
    let bytes = write(&empty_export(), Format::Pdf).unwrap();
    let Some(text) = pdftotext(&bytes) else {
        return;
    };
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("Không có dữ liệu chấm điểm cho năm 2026"),
        "{flat}"
    );
}

/// A validator for the part of JSON Schema (2020-12) that the published schema uses:
/// `type`, `const`, `required`, `properties`, `additionalProperties: false`, `items`,
/// local `$ref`, `minimum`/`maximum` and `minLength`/`maxLength`. Any other keyword
/// in the schema fails the test, so the schema cannot outgrow what is checked.
fn validate(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value;
    let mut errors = Vec::new();
    let Value::Object(s) = schema else {
        return vec![format!("{at}: schema is not an object")];
    };
    if let Some(Value::String(r)) = s.get("$ref") {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        return validate(root, &root["$defs"][name], v, at);
    }
    for key in s.keys() {
        assert!(
            [
                "$schema",
                "$id",
                "title",
                "description",
                "type",
                "const",
                "required",
                "properties",
                "additionalProperties",
                "items",
                "minimum",
                "maximum",
                "minLength",
                "maxLength",
                "format",
                "$defs"
            ]
            .contains(&key.as_str()),
            "the test validator does not know the keyword {key}"
        );
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "null" => v.is_null(),
            "boolean" => v.is_boolean(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not of type {t}"));
            return errors;
        }
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errors.push(format!("{at}: expected {c}"));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = s.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            errors.push(format!("{at}: {n} < {min}"));
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            errors.push(format!("{at}: {n} > {max}"));
        }
    }
    if let Some(text) = v.as_str() {
        let len = text.chars().count() as u64;
        if s.get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || s.get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            errors.push(format!("{at}: length {len} out of bounds"));
        }
    }
    if let Value::Object(obj) = v {
        for req in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let req = req.as_str().unwrap();
            if !obj.contains_key(req) {
                errors.push(format!("{at}: missing {req}"));
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        for (k, child) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => errors.extend(validate(root, ps, child, &format!("{at}.{k}"))),
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unexpected property {k}"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(is)) = (v, s.get("items")) {
        for (i, item) in items.iter().enumerate() {
            errors.extend(validate(root, is, item, &format!("{at}.{i}")));
        }
    }
    errors
}

const SCHEMA: &str = include_str!("../../docs/maturity-export.schema.json");

#[test]
fn json_export_matches_its_published_schema() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    assert_eq!(schema["$id"], SCHEMA_ID);
    for export in [sample_export(), empty_export()] {
        let bytes = write(&export, Format::Json).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let errors = validate(&schema, &schema, &value, "$");
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

#[test]
fn the_schema_check_catches_a_broken_export() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
    let mut value = serde_json::to_value(sample_export()).unwrap();
    value["content"]["teams"][0]["level"] = 7.into();
    value["content"]["drill_logs"][0]["head_hash"] = "short".into();
    value["content"]["teams"][0]["extra"] = true.into();
    let errors = validate(&schema, &schema, &value, "$");
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

/// Writes the sample PDF to `$CYBERDRILL_SAMPLE_PDF` for looking at it
/// (`pdftoppm -png -r 80`); does nothing otherwise.
#[test]
fn write_sample_pdf_when_asked() {
    if let Some(path) = std::env::var_os("CYBERDRILL_SAMPLE_PDF") {
        std::fs::write(path, write(&sample_export(), Format::Pdf).unwrap()).unwrap();
    }
}
