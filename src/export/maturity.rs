//! The annual maturity export: one document model ([`MaturityExport`]), written as
//! CSV, XLSX, JSON or PDF.
//!
//! The model is the published contract of the export (its JSON form is described by
//! `docs/maturity-export.schema.json`); it is filled from the maturity computation's
//! results and never computes a score itself. Every format carries the same metadata:
//! when and by whom it was generated, the framework id and version, the head hash of
//! every drill log it drew on, and `content_sha256` (see [`super::hash`]).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet, XlsxError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::chart::{BarChart, LineChart, Series};
use super::hash;
use super::pdf::{Report, RunningText};
use crate::time::{display_vn, rfc3339_micros};

/// The JSON Schema of the JSON form, published in `docs/`.
pub const SCHEMA_ID: &str = "https://cyberdrill.vn/schemas/maturity-export/v1.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MaturityExport {
    /// Always [`SCHEMA_ID`].
    pub schema: String,
    /// RFC 3339 UTC.
    pub generated_at: String,
    /// The username (or `cli:USER` for the command line).
    pub generated_by: String,
    /// Lowercase hex SHA-256 of the canonical JSON of `content`.
    pub content_sha256: String,
    pub content: MaturityContent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MaturityContent {
    pub year: i32,
    pub organisation: OrgRef,
    pub framework: FrameworkRef,
    /// Every drill whose records the scores drew on, with its log's head hash.
    pub drill_logs: Vec<DrillLogRef>,
    pub teams: Vec<TeamMaturity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrgRef {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FrameworkRef {
    pub id: String,
    pub version: String,
    pub name: String,
    pub dimensions: Vec<DimensionDef>,
    pub kpis: Vec<KpiDef>,
    pub levels: Vec<LevelDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DimensionDef {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// Share of the overall score, 0–1.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiDef {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// Share of the drill-performance dimension, 0–1.
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LevelDef {
    pub level: u8,
    pub name_vi: String,
    pub name_en: String,
    /// The lowest overall score of the level's band.
    pub min_score: f64,
    /// The level's gates, in plain words.
    pub gates: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DrillLogRef {
    pub drill_id: Uuid,
    pub title: String,
    /// RFC 3339 UTC; absent for a drill that has not ended.
    pub ended_at: Option<String>,
    pub events: u64,
    /// Hex SHA-256 head of the drill's hash-chained event log.
    pub head_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamMaturity {
    pub team_id: Uuid,
    pub team_name: String,
    pub level: u8,
    pub level_name_vi: String,
    pub level_name_en: String,
    /// Overall score, 0–100.
    pub score: f64,
    /// In the framework's dimension order; `score` is absent where no evidence exists.
    pub dimensions: Vec<DimensionScore>,
    /// Why the team is not at the next level, in plain words.
    pub gates_failed: Vec<String>,
    pub drills: Vec<TeamDrill>,
    /// Previous years, oldest first, each with the framework it was computed with.
    pub trend: Vec<YearScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DimensionScore {
    pub code: String,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TeamDrill {
    pub drill_id: Uuid,
    pub title: String,
    pub ended_at: Option<String>,
    /// Normalised KPI scores 0–100 in the framework's KPI order; absent where the
    /// drill recorded nothing to measure.
    pub kpis: Vec<KpiScore>,
    /// Mean time to detect in seconds (undetected actions count at the drill end).
    pub mean_time_to_detect_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KpiScore {
    pub code: String,
    pub score: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct YearScore {
    pub year: i32,
    pub score: f64,
    pub level: u8,
    pub framework_version: String,
}

impl MaturityExport {
    /// Stamps the content with its hash and the generation metadata.
    pub fn new(
        content: MaturityContent,
        generated_at: DateTime<Utc>,
        generated_by: String,
    ) -> Self {
        let content_sha256 = content_hash(&content);
        Self {
            schema: SCHEMA_ID.to_owned(),
            generated_at: rfc3339_micros(generated_at),
            generated_by,
            content_sha256,
            content,
        }
    }

    fn generated(&self) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&self.generated_at)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }
}

/// See [`super::hash`] for exactly what is hashed.
pub fn content_hash(content: &MaturityContent) -> String {
    let value = serde_json::to_value(content).unwrap_or(serde_json::Value::Null);
    hash::content_sha256(&value)
}

/// The export formats of `shared/API.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Xlsx,
    Json,
    Pdf,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
            Format::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Pdf => "pdf",
        }
    }
}

/// Writes the export in `format`.
pub fn write(export: &MaturityExport, format: Format) -> anyhow::Result<Vec<u8>> {
    match format {
        Format::Csv => Ok(to_csv(export)),
        Format::Xlsx => Ok(to_xlsx(export)?),
        Format::Json => Ok(serde_json::to_vec_pretty(export)?),
        Format::Pdf => to_pdf(export),
    }
}

/// A number as the JSON form writes it, so CSV values read back to the same f64.
fn num(v: f64) -> String {
    v.to_string()
}

fn opt(v: Option<f64>) -> String {
    v.map(num).unwrap_or_default()
}

// ------------------------------------------------------------------------- CSV

fn csv_field(s: &str) -> String {
    // Quote every field that could confuse a reader, and neutralise formula
    // injection: a cell starting with = + - @ would run as a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '@', '\t', '\r'])
        || (s.starts_with('-') && s.parse::<f64>().is_err())
    {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV columns. One table with a `record` column: one `export` row with the
/// metadata, one `team` row per team, one `drill` row per team and drill.
pub fn csv_columns(framework: &FrameworkRef) -> Vec<String> {
    let mut cols: Vec<String> = [
        "record",
        "year",
        "organisation",
        "team",
        "level",
        "level_name_vi",
        "level_name_en",
        "score",
    ]
    .map(str::to_owned)
    .to_vec();
    cols.extend(framework.dimensions.iter().map(|d| d.code.clone()));
    cols.extend(["gates_failed", "drill", "drill_id", "drill_ended_at"].map(str::to_owned));
    cols.extend(framework.kpis.iter().map(|k| k.code.clone()));
    cols.extend(
        [
            "mean_time_to_detect_s",
            "drill_log_head",
            "framework_id",
            "framework_version",
            "generated_at",
            "generated_by",
            "content_sha256",
        ]
        .map(str::to_owned),
    );
    cols
}

/// UTF-8 with a byte-order mark, so Excel opens the Vietnamese correctly.
pub fn to_csv(export: &MaturityExport) -> Vec<u8> {
    let c = &export.content;
    let fw = &c.framework;
    let columns = csv_columns(fw);
    let index = |name: &str| columns.iter().position(|c| c == name);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let blank = || vec![String::new(); columns.len()];
    let set = |row: &mut Vec<String>, name: &str, value: String| {
        if let Some(i) = index(name) {
            row[i] = value;
        }
    };

    let mut meta = blank();
    set(&mut meta, "record", "export".into());
    set(&mut meta, "year", c.year.to_string());
    set(&mut meta, "organisation", c.organisation.name.clone());
    set(&mut meta, "framework_id", fw.id.clone());
    set(&mut meta, "framework_version", fw.version.clone());
    set(&mut meta, "generated_at", export.generated_at.clone());
    set(&mut meta, "generated_by", export.generated_by.clone());
    set(&mut meta, "content_sha256", export.content_sha256.clone());
    rows.push(meta);

    for team in &c.teams {
        let mut row = blank();
        set(&mut row, "record", "team".into());
        set(&mut row, "year", c.year.to_string());
        set(&mut row, "organisation", c.organisation.name.clone());
        set(&mut row, "team", team.team_name.clone());
        set(&mut row, "level", team.level.to_string());
        set(&mut row, "level_name_vi", team.level_name_vi.clone());
        set(&mut row, "level_name_en", team.level_name_en.clone());
        set(&mut row, "score", num(team.score));
        for d in &team.dimensions {
            set(&mut row, &d.code, opt(d.score));
        }
        set(&mut row, "gates_failed", team.gates_failed.join("; "));
        rows.push(row);
        for drill in &team.drills {
            let mut row = blank();
            set(&mut row, "record", "drill".into());
            set(&mut row, "year", c.year.to_string());
            set(&mut row, "organisation", c.organisation.name.clone());
            set(&mut row, "team", team.team_name.clone());
            set(&mut row, "drill", drill.title.clone());
            set(&mut row, "drill_id", drill.drill_id.to_string());
            set(
                &mut row,
                "drill_ended_at",
                drill.ended_at.clone().unwrap_or_default(),
            );
            for k in &drill.kpis {
                set(&mut row, &k.code, opt(k.score));
            }
            set(
                &mut row,
                "mean_time_to_detect_s",
                opt(drill.mean_time_to_detect_s),
            );
            let head = c
                .drill_logs
                .iter()
                .find(|l| l.drill_id == drill.drill_id)
                .map(|l| l.head_hash.clone())
                .unwrap_or_default();
            set(&mut row, "drill_log_head", head);
            rows.push(row);
        }
    }

    let mut out = String::from("\u{feff}");
    let line = |cells: &[String]| {
        cells
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
    };
    out.push_str(&line(&columns));
    out.push_str("\r\n");
    for row in rows {
        out.push_str(&line(&row));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

// ------------------------------------------------------------------------ XLSX

/// Excel's rules for sheet names: at most 31 characters, none of `[]:*?/\`, unique
/// without regard to case.
fn sheet_name(name: &str, taken: &mut BTreeSet<String>) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = clean.chars().take(28).collect();
    let base = if base.is_empty() {
        "Đội".to_owned()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate.to_lowercase()) {
        candidate = format!("{base} {n}");
        n += 1;
    }
    taken.insert(candidate.to_lowercase());
    candidate
}

fn write_opt(sheet: &mut Worksheet, row: u32, col: u16, v: Option<f64>) -> Result<(), XlsxError> {
    if let Some(v) = v {
        sheet.write_number(row, col, v)?;
    }
    Ok(())
}

pub fn to_xlsx(export: &MaturityExport) -> Result<Vec<u8>, XlsxError> {
    let c = &export.content;
    let fw = &c.framework;
    let mut book = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let mut taken = BTreeSet::new();

    // Summary
    let summary = book.add_worksheet();
    summary.set_name(sheet_name("Tổng hợp - Summary", &mut taken))?;
    let meta: Vec<(&str, String)> = vec![
        (
            "Báo cáo / Report",
            format!("Mức độ trưởng thành năm {} / Maturity {}", c.year, c.year),
        ),
        ("Năm / Year", c.year.to_string()),
        ("Tổ chức / Organisation", c.organisation.name.clone()),
        (
            "Khung năng lực / Framework",
            format!("{} {}", fw.id, fw.version),
        ),
        ("Tạo lúc / Generated at (UTC)", export.generated_at.clone()),
        ("Người tạo / Generated by", export.generated_by.clone()),
        (
            "SHA-256 nội dung / Content SHA-256",
            export.content_sha256.clone(),
        ),
    ];
    for (r, (k, v)) in meta.iter().enumerate() {
        summary.write_string_with_format(r as u32, 0, *k, &bold)?;
        summary.write_string(r as u32, 1, v)?;
    }
    let header_row = meta.len() as u32 + 1;
    let mut headers: Vec<String> = vec![
        "Đội / Team".into(),
        "Mức / Level".into(),
        "Tên mức / Level name".into(),
        "Điểm / Score".into(),
    ];
    headers.extend(fw.dimensions.iter().map(|d| d.code.clone()));
    headers.push("Điều kiện chưa đạt / Gates not met".into());
    for (i, h) in headers.iter().enumerate() {
        summary.write_string_with_format(header_row, i as u16, h, &bold)?;
    }
    for (t, team) in c.teams.iter().enumerate() {
        let r = header_row + 1 + t as u32;
        summary.write_string(r, 0, &team.team_name)?;
        summary.write_number(r, 1, f64::from(team.level))?;
        summary.write_string(
            r,
            2,
            format!("{} / {}", team.level_name_vi, team.level_name_en),
        )?;
        summary.write_number(r, 3, team.score)?;
        for (d, dim) in fw.dimensions.iter().enumerate() {
            let v = team
                .dimensions
                .iter()
                .find(|x| x.code == dim.code)
                .and_then(|x| x.score);
            write_opt(summary, r, 4 + d as u16, v)?;
        }
        summary.write_string(
            r,
            4 + fw.dimensions.len() as u16,
            team.gates_failed.join("\n"),
        )?;
    }
    let logs_row = header_row + c.teams.len() as u32 + 2;
    for (i, h) in [
        "Cuộc diễn tập / Drill",
        "Mã / Id",
        "Kết thúc / Ended (UTC)",
        "Số sự kiện / Events",
        "Hash đầu nhật ký / Log head",
    ]
    .iter()
    .enumerate()
    {
        summary.write_string_with_format(logs_row, i as u16, *h, &bold)?;
    }
    for (i, log) in c.drill_logs.iter().enumerate() {
        let r = logs_row + 1 + i as u32;
        summary.write_string(r, 0, &log.title)?;
        summary.write_string(r, 1, log.drill_id.to_string())?;
        summary.write_string(r, 2, log.ended_at.clone().unwrap_or_default())?;
        summary.write_number(r, 3, log.events as f64)?;
        summary.write_string(r, 4, &log.head_hash)?;
    }
    summary.set_column_width(0, 34)?;
    summary.set_column_width(1, 22)?;
    summary.set_column_width(2, 24)?;

    // One sheet per team.
    for team in &c.teams {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&team.team_name, &mut taken))?;
        sheet.write_string_with_format(0, 0, &team.team_name, &bold)?;
        sheet.write_string(
            1,
            0,
            format!(
                "Mức / Level {} ({} / {}), điểm / score {}",
                team.level,
                team.level_name_vi,
                team.level_name_en,
                num(team.score)
            ),
        )?;
        let mut headers: Vec<String> = vec![
            "Cuộc diễn tập / Drill".into(),
            "Mã / Id".into(),
            "Kết thúc / Ended (UTC)".into(),
        ];
        headers.extend(fw.kpis.iter().map(|k| k.code.clone()));
        headers.push("MTTD (s)".into());
        for (i, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(3, i as u16, h, &bold)?;
        }
        for (d, drill) in team.drills.iter().enumerate() {
            let r = 4 + d as u32;
            sheet.write_string(r, 0, &drill.title)?;
            sheet.write_string(r, 1, drill.drill_id.to_string())?;
            sheet.write_string(r, 2, drill.ended_at.clone().unwrap_or_default())?;
            for (k, kpi) in fw.kpis.iter().enumerate() {
                let v = drill
                    .kpis
                    .iter()
                    .find(|x| x.code == kpi.code)
                    .and_then(|x| x.score);
                write_opt(sheet, r, 3 + k as u16, v)?;
            }
            write_opt(
                sheet,
                r,
                3 + fw.kpis.len() as u16,
                drill.mean_time_to_detect_s,
            )?;
        }
        let mut r = 5 + team.drills.len() as u32;
        sheet.write_string_with_format(r, 0, "Lĩnh vực / Dimension", &bold)?;
        sheet.write_string_with_format(r, 1, "Điểm / Score", &bold)?;
        for dim in &fw.dimensions {
            r += 1;
            sheet.write_string(
                r,
                0,
                format!("{} {} / {}", dim.code, dim.name_vi, dim.name_en),
            )?;
            let v = team
                .dimensions
                .iter()
                .find(|x| x.code == dim.code)
                .and_then(|x| x.score);
            write_opt(sheet, r, 1, v)?;
        }
        r += 2;
        sheet.write_string_with_format(r, 0, "Điều kiện chưa đạt / Gates not met", &bold)?;
        for gate in &team.gates_failed {
            r += 1;
            sheet.write_string(r, 0, gate)?;
        }
        sheet.set_column_width(0, 40)?;
        sheet.set_column_width(1, 38)?;
    }

    // The framework.
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name("Khung năng lực - Framework", &mut taken))?;
    sheet.write_string_with_format(
        0,
        0,
        format!("{} ({} {})", fw.name, fw.id, fw.version),
        &bold,
    )?;
    let mut r = 2;
    for (i, h) in [
        "Mã / Code",
        "Tên / Name (vi)",
        "Name (en)",
        "Trọng số / Weight",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(r, i as u16, *h, &bold)?;
    }
    for d in &fw.dimensions {
        r += 1;
        sheet.write_string(r, 0, &d.code)?;
        sheet.write_string(r, 1, &d.name_vi)?;
        sheet.write_string(r, 2, &d.name_en)?;
        sheet.write_number(r, 3, d.weight)?;
    }
    r += 2;
    for (i, h) in [
        "KPI",
        "Tên / Name (vi)",
        "Name (en)",
        "Trọng số trong D5 / Weight in D5",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(r, i as u16, *h, &bold)?;
    }
    for k in &fw.kpis {
        r += 1;
        sheet.write_string(r, 0, &k.code)?;
        sheet.write_string(r, 1, &k.name_vi)?;
        sheet.write_string(r, 2, &k.name_en)?;
        sheet.write_number(r, 3, k.weight)?;
    }
    r += 2;
    for (i, h) in [
        "Mức / Level",
        "Tên / Name (vi)",
        "Name (en)",
        "Điểm tối thiểu / Min score",
        "Điều kiện / Gates",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(r, i as u16, *h, &bold)?;
    }
    for l in &fw.levels {
        r += 1;
        sheet.write_number(r, 0, f64::from(l.level))?;
        sheet.write_string(r, 1, &l.name_vi)?;
        sheet.write_string(r, 2, &l.name_en)?;
        sheet.write_number(r, 3, l.min_score)?;
        sheet.write_string(r, 4, l.gates.join("\n"))?;
    }
    sheet.set_column_width(0, 14)?;
    sheet.set_column_width(1, 36)?;
    sheet.set_column_width(2, 30)?;
    sheet.set_column_width(4, 80)?;

    book.save_to_buffer()
}

// ------------------------------------------------------------------------- PDF

/// The dimension-score chart of the maturity page and PDF.
pub fn dimensions_chart(content: &MaturityContent) -> BarChart {
    BarChart {
        title: "Điểm theo lĩnh vực của từng đội / Dimension scores per team".into(),
        categories: content.teams.iter().map(|t| t.team_name.clone()).collect(),
        series: content
            .framework
            .dimensions
            .iter()
            .map(|d| Series {
                name: format!("{} {}", d.code, d.name_vi),
                values: content
                    .teams
                    .iter()
                    .map(|t| {
                        t.dimensions
                            .iter()
                            .find(|x| x.code == d.code)
                            .and_then(|x| x.score)
                    })
                    .collect(),
            })
            .collect(),
        no_data: "chưa có dữ liệu / no data".into(),
    }
}

/// Time to detect across the year's drills (in the order they ended), one line per
/// team.
pub fn detection_chart(content: &MaturityContent) -> LineChart {
    let mut drills: Vec<&DrillLogRef> = content.drill_logs.iter().collect();
    drills.sort_by(|a, b| a.ended_at.cmp(&b.ended_at));
    LineChart {
        title: "Thời gian phát hiện trung bình qua các cuộc diễn tập / Mean time to detect across drills"
            .into(),
        x_labels: drills.iter().map(|d| d.title.clone()).collect(),
        series: content
            .teams
            .iter()
            .map(|t| Series {
                name: t.team_name.clone(),
                values: drills
                    .iter()
                    .map(|d| {
                        t.drills
                            .iter()
                            .find(|x| x.drill_id == d.drill_id)
                            .and_then(|x| x.mean_time_to_detect_s)
                    })
                    .collect(),
            })
            .collect(),
        y_max: None,
        y_unit: "s".into(),
        no_data: "chưa có dữ liệu / no data".into(),
    }
}

/// Maturity scores across years, one line per team.
pub fn trend_chart(content: &MaturityContent) -> LineChart {
    let mut years: BTreeSet<i32> = content
        .teams
        .iter()
        .flat_map(|t| t.trend.iter().map(|y| y.year))
        .collect();
    if !content.teams.is_empty() {
        years.insert(content.year);
    }
    let years: Vec<i32> = years.into_iter().collect();
    LineChart {
        title: "Điểm trưởng thành qua các năm / Maturity score across years".into(),
        x_labels: years.iter().map(i32::to_string).collect(),
        series: content
            .teams
            .iter()
            .map(|t| Series {
                name: t.team_name.clone(),
                values: years
                    .iter()
                    .map(|y| {
                        if *y == content.year {
                            Some(t.score)
                        } else {
                            t.trend.iter().find(|s| s.year == *y).map(|s| s.score)
                        }
                    })
                    .collect(),
            })
            .collect(),
        y_max: Some(100.0),
        y_unit: String::new(),
        no_data: "chưa có dữ liệu / no data".into(),
    }
}

fn fmt_score(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

pub fn to_pdf(export: &MaturityExport) -> anyhow::Result<Vec<u8>> {
    let c = &export.content;
    let fw = &c.framework;
    let title = format!(
        "Mức độ trưởng thành của đội ứng cứu năm {} / Response-team maturity {}",
        c.year, c.year
    );
    let mut report = Report::new(RunningText {
        title: title.clone(),
        organisation: c.organisation.name.clone(),
        footer: format!("SHA-256: {}", export.content_sha256),
        generated_at: export.generated(),
        author: export.generated_by.clone(),
    })?;
    report.title(
        &title,
        &[
            format!("Đơn vị / Organisation: {}", c.organisation.name),
            format!(
                "Tạo lúc / Generated: {} (giờ Việt Nam / Vietnam time), bởi / by {}",
                display_vn(export.generated()),
                export.generated_by
            ),
            format!(
                "Khung năng lực / Framework: {} — {} {}",
                fw.name, fw.id, fw.version
            ),
            format!(
                "SHA-256 nội dung / Content SHA-256: {}",
                export.content_sha256
            ),
        ],
    );

    report.heading("Tổng hợp / Summary");
    if c.teams.is_empty() {
        report.paragraph(&format!(
            "Không có dữ liệu chấm điểm cho năm {}. / No scored records for {}.",
            c.year, c.year
        ));
    } else {
        let mut headers: Vec<String> = vec![
            "Đội / Team".into(),
            "Mức / Level".into(),
            "Điểm / Score".into(),
        ];
        headers.extend(fw.dimensions.iter().map(|d| d.code.clone()));
        let mut widths = vec![3.0, 2.4, 1.0];
        widths.extend(fw.dimensions.iter().map(|_| 0.8));
        let rows: Vec<Vec<String>> = c
            .teams
            .iter()
            .map(|t| {
                let mut row = vec![
                    t.team_name.clone(),
                    format!("{} — {} / {}", t.level, t.level_name_vi, t.level_name_en),
                    format!("{:.1}", t.score),
                ];
                row.extend(fw.dimensions.iter().map(|d| {
                    fmt_score(
                        t.dimensions
                            .iter()
                            .find(|x| x.code == d.code)
                            .and_then(|x| x.score),
                    )
                }));
                row
            })
            .collect();
        report.table(&headers, &widths, &rows);
        report.figure(&dimensions_chart(c).layout());
        report.figure(&detection_chart(c).layout());
        if c.teams.iter().any(|t| !t.trend.is_empty()) {
            report.figure(&trend_chart(c).layout());
        }
    }

    for team in &c.teams {
        report.heading(&format!(
            "{} — mức / level {} ({} / {})",
            team.team_name, team.level, team.level_name_vi, team.level_name_en
        ));
        if team.gates_failed.is_empty() {
            report.paragraph("Không có điều kiện nào chưa đạt. / No gate held the team back.");
        } else {
            report.subheading("Điều kiện chưa đạt / What held the level back");
            for gate in &team.gates_failed {
                report.paragraph(&format!("• {gate}"));
            }
        }
        if !team.drills.is_empty() {
            let mut headers: Vec<String> = vec!["Cuộc diễn tập / Drill".into()];
            headers.extend(fw.kpis.iter().map(|k| k.code.clone()));
            headers.push("MTTD".into());
            let mut widths = vec![3.0];
            widths.extend(fw.kpis.iter().map(|_| 0.7));
            widths.push(1.0);
            let rows: Vec<Vec<String>> = team
                .drills
                .iter()
                .map(|d| {
                    let mut row = vec![d.title.clone()];
                    row.extend(fw.kpis.iter().map(|k| {
                        fmt_score(
                            d.kpis
                                .iter()
                                .find(|x| x.code == k.code)
                                .and_then(|x| x.score),
                        )
                    }));
                    row.push(
                        d.mean_time_to_detect_s
                            .map(super::chart::fmt_duration)
                            .unwrap_or_else(|| "—".into()),
                    );
                    row
                })
                .collect();
            report.table(&headers, &widths, &rows);
        }
    }

    report.heading("Khung năng lực / Framework");
    report.paragraph(&format!("{} ({} {})", fw.name, fw.id, fw.version));
    let rows: Vec<Vec<String>> = fw
        .dimensions
        .iter()
        .map(|d| {
            vec![
                d.code.clone(),
                format!("{} / {}", d.name_vi, d.name_en),
                format!("{:.0}%", d.weight * 100.0),
            ]
        })
        .collect();
    report.table(
        &[
            "Mã / Code".into(),
            "Lĩnh vực / Dimension".into(),
            "Trọng số / Weight".into(),
        ],
        &[1.0, 5.0, 1.4],
        &rows,
    );
    let rows: Vec<Vec<String>> = fw
        .kpis
        .iter()
        .map(|k| {
            vec![
                k.code.clone(),
                format!("{} / {}", k.name_vi, k.name_en),
                format!("{:.0}%", k.weight * 100.0),
            ]
        })
        .collect();
    report.table(
        &[
            "KPI".into(),
            "Chỉ số / Indicator".into(),
            "Trọng số / Weight".into(),
        ],
        &[1.0, 5.0, 1.4],
        &rows,
    );
    let rows: Vec<Vec<String>> = fw
        .levels
        .iter()
        .map(|l| {
            vec![
                l.level.to_string(),
                format!("{} / {}", l.name_vi, l.name_en),
                format!("≥ {}", num(l.min_score)),
                l.gates.join("; "),
            ]
        })
        .collect();
    report.table(
        &[
            "Mức / Level".into(),
            "Tên / Name".into(),
            "Điểm / Score".into(),
            "Điều kiện / Gates".into(),
        ],
        &[0.9, 2.2, 1.0, 5.0],
        &rows,
    );

    report.heading("Bằng chứng / Evidence");
    report.paragraph(
        "Nhật ký sự kiện của các cuộc diễn tập đã dùng, với hash đầu chuỗi; kiểm tra bằng `cyberdrill drill verify ID`. / The drill logs used, with their head hashes; check each with `cyberdrill drill verify ID`.",
    );
    if c.drill_logs.is_empty() {
        report.paragraph("Không có cuộc diễn tập nào. / No drills.");
    } else {
        let rows: Vec<Vec<String>> = c
            .drill_logs
            .iter()
            .map(|l| {
                vec![
                    l.title.clone(),
                    l.drill_id.to_string(),
                    l.events.to_string(),
                    l.head_hash.clone(),
                ]
            })
            .collect();
        report.table(
            &[
                "Cuộc diễn tập / Drill".into(),
                "Mã / Id".into(),
                "Sự kiện / Events".into(),
                "Hash đầu / Head".into(),
            ],
            &[2.2, 2.3, 0.8, 3.2],
            &rows,
        );
    }
    report.paragraph(
        "SHA-256 nội dung là SHA-256 của đối tượng `content` trong bản JSON, viết ở dạng JSON chuẩn hoá (khoá sắp xếp, không khoảng trắng). / The content SHA-256 is the SHA-256 of the JSON export's `content` object in canonical JSON (sorted keys, no whitespace): see docs/exports.md.",
    );
    report.finish()
}
