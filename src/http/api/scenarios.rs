//! The scenario library: list and read (shipped and user scenarios), create and
//! version (a scenario file or its JSON form), export as TOML, CSV or XLSX, and
//! import an MSEL spreadsheet (with a preview for the column-mapping step).
//!
//! Invalid scenarios get the usual 422 envelope plus a `problems` list: for
//! files, `{line, col, message}` (and `fields` keyed `"LINE:COL"`); for
//! spreadsheets, `{sheet, row, column, message}` as the spreadsheet shows them.
//! Nothing is stored unless the whole scenario is valid.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::CurrentUser;
use crate::domain::{FieldErrors, IncidentCategory};
use crate::error::{AppError, ErrorEnvelope};
use crate::http::api::Paged;
use crate::http::extract::{ApiPath, ApiQuery, parse_json};
use crate::scenario::msel::{self, ColumnMapping, Format, ImportOptions, ImportProblem};
use crate::scenario::{Problem, Scenario, parse_scenario, parse_scenario_bytes, to_toml};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::scenarios::{
    self as library, LoadedVersion, Origin, Owner, Saved, ScenarioFilter, ScenarioSummary,
    TitleText, VersionInfo,
};

/// Largest request accepted by the import route: the file limit plus room for the
/// multipart framing and the small fields.
const IMPORT_BODY_LIMIT: usize = msel::MAX_UPLOAD_BYTES + 256 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let import = OpenApiRouter::new()
        .routes(routes!(import_scenario))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT));
    OpenApiRouter::new()
        .routes(routes!(list_scenarios, create_scenario))
        .routes(routes!(get_scenario, put_scenario))
        .routes(routes!(list_scenario_versions))
        .routes(routes!(get_scenario_version))
        .routes(routes!(export_scenario))
        .merge(import)
}

// ---------------------------------------------------------------- errors

/// A scenario-file problem, 1-based.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileProblem {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// A spreadsheet problem, placed as the spreadsheet program shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SheetProblem {
    pub sheet: Option<String>,
    pub row: Option<usize>,
    /// The column's header as written in the file, or the metadata key.
    pub column: Option<String>,
    pub message: String,
}

/// The 422 envelope of an invalid scenario: the usual `error` object, with
/// `fields` keyed by place (`"LINE:COL"` for files, `row 12, column "offset"`
/// for spreadsheets) and every problem in `problems`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemsEnvelope {
    pub error: ProblemsBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemsBody {
    /// Always `validation_failed`.
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    /// `FileProblem`s for scenario files and JSON, `SheetProblem`s for imports.
    #[schema(value_type = Vec<Object>)]
    pub problems: serde_json::Value,
}

/// What a scenario handler can fail with: the common errors, or the problems of
/// an invalid file or spreadsheet.
#[derive(Debug)]
pub enum ScenarioError {
    App(AppError),
    File(Vec<Problem>),
    Sheet(Vec<ImportProblem>),
}

impl From<AppError> for ScenarioError {
    fn from(e: AppError) -> Self {
        ScenarioError::App(e)
    }
}

impl From<StoreError> for ScenarioError {
    fn from(e: StoreError) -> Self {
        ScenarioError::App(e.into())
    }
}

/// Keyed problems for `fields`; several problems at one place are joined.
fn keyed<'a>(items: impl Iterator<Item = (String, &'a str)>) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for (key, message) in items {
        fields
            .entry(key)
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(message);
            })
            .or_insert_with(|| message.to_owned());
    }
    fields
}

/// Where a spreadsheet problem is, without its message.
pub fn sheet_place(p: &ImportProblem) -> String {
    let mut parts = Vec::new();
    if let Some(sheet) = &p.sheet {
        parts.push(format!("sheet \"{sheet}\""));
    }
    if let Some(row) = p.row {
        parts.push(format!("row {row}"));
    }
    if let Some(column) = &p.column {
        parts.push(format!("column \"{column}\""));
    }
    if parts.is_empty() {
        "file".to_owned()
    } else {
        parts.join(", ")
    }
}

fn problems_response(
    message: String,
    fields: BTreeMap<String, String>,
    problems: serde_json::Value,
) -> Response {
    let body = ProblemsEnvelope {
        error: ProblemsBody {
            code: "validation_failed",
            message,
            fields,
            problems,
        },
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

impl IntoResponse for ScenarioError {
    fn into_response(self) -> Response {
        match self {
            ScenarioError::App(e) => e.into_response(),
            ScenarioError::File(problems) => {
                let fields = keyed(
                    problems
                        .iter()
                        .map(|p| (format!("{}:{}", p.line, p.col), p.message.as_str())),
                );
                let message = match problems.first() {
                    Some(first) => format!(
                        "the scenario has {} problem(s); first: {first}",
                        problems.len()
                    ),
                    None => "the scenario is invalid".to_owned(),
                };
                let list: Vec<FileProblem> = problems
                    .into_iter()
                    .map(|p| FileProblem {
                        line: p.line,
                        col: p.col,
                        message: p.message,
                    })
                    .collect();
                problems_response(message, fields, crate::store::to_json(&list))
            }
            ScenarioError::Sheet(problems) => {
                let fields = keyed(
                    problems
                        .iter()
                        .map(|p| (sheet_place(p), p.message.as_str())),
                );
                let message = match problems.first() {
                    Some(first) => format!(
                        "the spreadsheet has {} problem(s); first: {first}",
                        problems.len()
                    ),
                    None => "the spreadsheet is invalid".to_owned(),
                };
                let list: Vec<SheetProblem> = problems
                    .into_iter()
                    .map(|p| SheetProblem {
                        sheet: p.sheet,
                        row: p.row,
                        column: p.column,
                        message: p.message,
                    })
                    .collect();
                problems_response(message, fields, crate::store::to_json(&list))
            }
        }
    }
}

type ScenarioResult<T> = Result<T, ScenarioError>;

// ---------------------------------------------------------------- DTOs

/// A scenario at one version, with its content as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioDetail {
    pub id: Uuid,
    pub slug: String,
    /// `null` for the shipped library.
    pub org_id: Option<Uuid>,
    pub origin: Origin,
    /// The version shown.
    pub version: i32,
    /// The scenario's current version (equal to `version` unless an old one was asked for).
    pub current_version: i32,
    /// The id drills record to name exactly this version.
    pub version_id: Uuid,
    pub content_sha256: String,
    pub title: TitleText,
    pub category: IncidentCategory,
    pub min_level: u8,
    pub duration_s: u32,
    pub inject_count: u32,
    pub created_by: Option<Uuid>,
    /// When this version was saved.
    pub saved_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The parsed scenario (the JSON form accepted by `POST /api/v1/scenarios`).
    #[schema(value_type = Object)]
    pub scenario: Scenario,
}

impl From<LoadedVersion> for ScenarioDetail {
    fn from(l: LoadedVersion) -> Self {
        let LoadedVersion {
            summary,
            version,
            scenario,
            ..
        } = l;
        ScenarioDetail {
            id: summary.id,
            slug: summary.slug,
            org_id: summary.org_id,
            origin: summary.origin,
            version: version.version,
            current_version: summary.version,
            version_id: version.version_id,
            content_sha256: version.content_sha256,
            title: version.title,
            category: version.category,
            min_level: version.min_level,
            duration_s: version.duration_s,
            inject_count: version.inject_count,
            created_by: version.created_by,
            saved_at: version.created_at,
            created_at: summary.created_at,
            updated_at: summary.updated_at,
            scenario,
        }
    }
}

/// The answer to a save: the scenario as stored, and whether a version was added.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScenarioSaved {
    #[serde(flatten)]
    pub detail: ScenarioDetail,
    /// False when the content equals the current version (nothing was stored).
    pub new_version: bool,
    /// True when the scenario did not exist before.
    pub new_scenario: bool,
}

fn saved_response(saved: Saved) -> (StatusCode, Json<ScenarioSaved>) {
    let status = if saved.new_version {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let body = ScenarioSaved {
        new_version: saved.new_version,
        new_scenario: saved.new_scenario,
        detail: saved.loaded.into(),
    };
    (status, Json(body))
}

// ---------------------------------------------------------------- read

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScenarioQuery {
    pub category: Option<IncidentCategory>,
    /// Only scenarios whose minimum level is exactly this.
    #[param(minimum = 1, maximum = 5)]
    pub min_level: Option<u8>,
    /// Only scenarios that suit a system of this level (minimum level at or below it).
    #[param(minimum = 1, maximum = 5)]
    pub level: Option<u8>,
    /// `shipped` or `user`.
    pub origin: Option<String>,
    /// Part of the id or of either title.
    pub q: Option<String>,
}

/// The library: the shipped scenarios and the caller's organisations' own, current versions.
#[utoipa::path(get, path = "/api/v1/scenarios", tag = "scenarios", params(ScenarioQuery),
    responses((status = 200, body = Paged<ScenarioSummary>), (status = 422, body = ErrorEnvelope)))]
pub async fn list_scenarios(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<ScenarioQuery>,
) -> ScenarioResult<Json<Paged<ScenarioSummary>>> {
    let origin = match q.origin.as_deref() {
        None | Some("") => None,
        Some("shipped") => Some(Origin::Shipped),
        Some("user") => Some(Origin::User),
        Some(_) => {
            return Err(
                AppError::field("origin", "unknown_value", "expected shipped or user").into(),
            );
        }
    };
    let filter = ScenarioFilter {
        category: q.category,
        min_level: q.min_level,
        for_level: q.level,
        origin,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    let items = library::list(&state.db, &me.scope, &filter).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

/// A scenario's current version, with its content.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}", tag = "scenarios", params(("id" = Uuid, Path)),
    responses((status = 200, body = ScenarioDetail), (status = 404, body = ErrorEnvelope)))]
pub async fn get_scenario(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ScenarioResult<Json<ScenarioDetail>> {
    Ok(Json(library::get(&state.db, &me.scope, id).await?.into()))
}

/// Every version, newest first.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/versions", tag = "scenarios", params(("id" = Uuid, Path)),
    responses((status = 200, body = Paged<VersionInfo>), (status = 404, body = ErrorEnvelope)))]
pub async fn list_scenario_versions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> ScenarioResult<Json<Paged<VersionInfo>>> {
    let items = library::versions(&state.db, &me.scope, id).await?;
    Ok(Json(Paged {
        items,
        next_cursor: None,
    }))
}

/// One version, with its content.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/versions/{version}", tag = "scenarios",
    params(("id" = Uuid, Path), ("version" = i32, Path)),
    responses((status = 200, body = ScenarioDetail), (status = 404, body = ErrorEnvelope)))]
pub async fn get_scenario_version(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath((id, number)): ApiPath<(Uuid, i32)>,
) -> ScenarioResult<Json<ScenarioDetail>> {
    Ok(Json(
        library::version(&state.db, &me.scope, id, number)
            .await?
            .into(),
    ))
}

// ---------------------------------------------------------------- write

/// Refuses a body whose declared length is over `limit` before reading it.
fn check_length(headers: &HeaderMap, limit: usize) -> Result<(), AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(n) if n > limit as u64 => Err(AppError::PayloadTooLarge),
        _ => Ok(()),
    }
}

fn mime_of(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Reads a scenario from a request body: a scenario file (`application/toml`) or
/// its JSON form, which is checked by the file validator too (written as a file
/// and read back), so both doors accept exactly the same scenarios.
async fn scenario_from_body(req: Request) -> ScenarioResult<Scenario> {
    check_length(req.headers(), msel::MAX_UPLOAD_BYTES)?;
    let mime = mime_of(req.headers());
    let bytes = axum::body::to_bytes(req.into_body(), msel::MAX_UPLOAD_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    match mime.as_str() {
        "application/toml" | "text/toml" | "application/x-toml" | "text/plain" => {
            parse_scenario_bytes(&bytes).map_err(ScenarioError::File)
        }
        "application/json" => {
            let scenario: Scenario = parse_json(&bytes)?;
            parse_scenario(&to_toml(&scenario)).map_err(ScenarioError::File)
        }
        _ => Err(AppError::BadRequest(
            "expected Content-Type: application/toml (a scenario file) or application/json".into(),
        )
        .into()),
    }
}

/// Creates a scenario in the caller's organisation, or stores a new version of the
/// organisation's scenario with the same id. The file's `version` is ignored: the
/// server numbers versions. Same content as the current version → 200, nothing stored.
/// Problems of a JSON body are placed in the scenario written as a file (the layout
/// of `GET /api/v1/scenarios/{id}/export?format=toml`).
#[utoipa::path(post, path = "/api/v1/scenarios", tag = "scenarios",
    request_body(description = "A scenario file (see scenarios/README.md) or its JSON form (as `scenario` in ScenarioDetail)",
        content((String = "application/toml"), (serde_json::Value = "application/json"))),
    responses(
        (status = 201, description = "Stored as a new scenario or a new version", body = ScenarioSaved),
        (status = 200, description = "Same content as the current version; nothing stored", body = ScenarioSaved),
        (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 409, description = "The id belongs to a shipped scenario", body = ErrorEnvelope),
        (status = 413, body = ErrorEnvelope),
        (status = 422, description = "Invalid scenario: every problem with its line and column", body = ProblemsEnvelope)))]
pub async fn create_scenario(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> ScenarioResult<(StatusCode, Json<ScenarioSaved>)> {
    me.require_registry_editor()?;
    let scenario = scenario_from_body(req).await?;
    let saved = library::save(
        &state.db,
        Owner::Org(me.user.org_id),
        &scenario,
        Some(me.user.id),
    )
    .await?;
    Ok(saved_response(saved))
}

/// Stores a new version of a user scenario (its id must stay the same).
#[utoipa::path(put, path = "/api/v1/scenarios/{id}", tag = "scenarios", params(("id" = Uuid, Path)),
    request_body(description = "A scenario file or its JSON form",
        content((String = "application/toml"), (serde_json::Value = "application/json"))),
    responses(
        (status = 201, description = "A new version was stored", body = ScenarioSaved),
        (status = 200, description = "Same content as the current version; nothing stored", body = ScenarioSaved),
        (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, description = "Shipped scenarios change through their files", body = ErrorEnvelope),
        (status = 413, body = ErrorEnvelope),
        (status = 422, body = ProblemsEnvelope)))]
pub async fn put_scenario(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> ScenarioResult<(StatusCode, Json<ScenarioSaved>)> {
    library::get(&state.db, &me.scope, id).await?;
    me.require_registry_editor()?;
    let scenario = scenario_from_body(req).await?;
    let saved =
        library::save_version(&state.db, &me.scope, id, &scenario, Some(me.user.id)).await?;
    Ok(saved_response(saved))
}

// ---------------------------------------------------------------- export

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Toml,
    Csv,
    Xlsx,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub format: ExportFormat,
    /// A version number; the current version when absent.
    pub version: Option<i32>,
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The file of one version, as an attachment named `SLUG-vN.EXT`.
pub fn export_file(
    loaded: &LoadedVersion,
    format: ExportFormat,
) -> Result<(&'static str, String, Vec<u8>), AppError> {
    let (content_type, ext, bytes) = match format {
        ExportFormat::Toml => (
            "application/toml; charset=utf-8",
            "toml",
            loaded.source_toml.clone().into_bytes(),
        ),
        ExportFormat::Csv => (
            "text/csv; charset=utf-8",
            "csv",
            msel::export_csv(&loaded.scenario),
        ),
        ExportFormat::Xlsx => (
            XLSX_TYPE,
            "xlsx",
            msel::export_xlsx(&loaded.scenario).map_err(|e| match e {
                msel::ExportError::TooLongForExcel { .. } => {
                    AppError::field("format", "too_long", e.to_string())
                }
                msel::ExportError::Xlsx(inner) => AppError::Internal(anyhow::anyhow!(inner)),
            })?,
        ),
    };
    let name = format!("{}-v{}.{ext}", loaded.summary.slug, loaded.version.version);
    Ok((content_type, name, bytes))
}

/// Builds a download response; the file name is a slug, safe in a header.
pub fn attachment(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    response
}

/// A version as a scenario file (TOML) or an MSEL spreadsheet (CSV with a byte-order
/// mark, or XLSX), in the layouts `POST /api/v1/scenarios/import` reads back.
#[utoipa::path(get, path = "/api/v1/scenarios/{id}/export", tag = "scenarios",
    params(("id" = Uuid, Path), ExportQuery),
    responses(
        (status = 200, description = "The file, with Content-Disposition: attachment; filename=\"SLUG-vN.EXT\"",
            content((String = "application/toml"), (String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = ErrorEnvelope),
        (status = 422, description = "Unknown format, or a text too long for an Excel cell", body = ErrorEnvelope)))]
pub async fn export_scenario(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ScenarioResult<Response> {
    let loaded = match q.version {
        Some(n) => library::version(&state.db, &me.scope, id, n).await?,
        None => library::get(&state.db, &me.scope, id).await?,
    };
    let (content_type, name, bytes) = export_file(&loaded, q.format)?;
    Ok(attachment(content_type, &name, bytes))
}

// ---------------------------------------------------------------- import

/// The multipart form of an import.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the multipart fields for OpenAPI; read by hand"
)]
pub struct ImportForm {
    /// The CSV or XLSX file (at most 20 MiB).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// A column mapping as JSON: `{"header_row": 1, "rules": [{"column": 0 | "Header", "field": "offset" | null}]}`.
    mapping: Option<String>,
    /// A scenario whose metadata (title, category, …) is used when the file has none.
    scenario_id: Option<Uuid>,
    /// `true`: return the column-mapping preview instead of importing.
    preview: Option<bool>,
}

/// What an import request carried.
pub struct ImportRequest {
    pub file: Vec<u8>,
    pub mapping: Option<ColumnMapping>,
    pub scenario_id: Option<Uuid>,
    pub preview: bool,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::PayloadTooLarge
    } else {
        AppError::BadRequest(format!("malformed multipart body: {}", e.body_text()))
    }
}

async fn read_import(req: Request, state: &AppState) -> Result<ImportRequest, AppError> {
    check_length(req.headers(), IMPORT_BODY_LIMIT)?;
    let mut multipart = Multipart::from_request(req, state).await.map_err(|e| {
        AppError::BadRequest(format!(
            "expected a multipart/form-data body: {}",
            e.body_text()
        ))
    })?;
    let mut file = None;
    let mut mapping = None;
    let mut scenario_id = None;
    let mut preview = false;
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                let bytes = field.bytes().await.map_err(multipart_error)?;
                if bytes.len() > msel::MAX_UPLOAD_BYTES {
                    return Err(AppError::PayloadTooLarge);
                }
                file = Some(bytes.to_vec());
            }
            "mapping" => {
                let text = field.text().await.map_err(multipart_error)?;
                if !text.trim().is_empty() {
                    let parsed: ColumnMapping = serde_json::from_str(&text).map_err(|e| {
                        AppError::field("mapping", "invalid", format!("not a column mapping: {e}"))
                    })?;
                    mapping = Some(parsed);
                }
            }
            "scenario_id" => {
                let text = field.text().await.map_err(multipart_error)?;
                if !text.trim().is_empty() {
                    scenario_id = Some(text.trim().parse().map_err(|_| {
                        AppError::field("scenario_id", "invalid_reference", "not a scenario id")
                    })?);
                }
            }
            "preview" => {
                let text = field.text().await.map_err(multipart_error)?;
                preview = matches!(text.trim(), "true" | "1" | "on" | "yes");
            }
            // Unknown parts (a browser's submit button) are ignored.
            _ => {}
        }
    }
    let file = file.ok_or_else(|| {
        AppError::Validation(FieldErrors::single(
            "file",
            "required",
            "attach a CSV or XLSX file",
        ))
    })?;
    Ok(ImportRequest {
        file,
        mapping,
        scenario_id,
        preview,
    })
}

/// Imports an MSEL spreadsheet (CSV or XLSX, detected from the content). With
/// `preview=true` the answer is the column-mapping step: headers, the suggested
/// mapping, the first rows and mapping problems; nothing is stored.
#[utoipa::path(post, path = "/api/v1/scenarios/import", tag = "scenarios",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Imported as a new scenario or a new version", body = ScenarioSaved),
        (status = 200, description = "The preview (preview=true), or the same content as the current version",
            content((serde_json::Value = "application/json"))),
        (status = 400, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope),
        (status = 404, description = "scenario_id not found", body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope), (status = 413, body = ErrorEnvelope),
        (status = 422, description = "Every problem of the spreadsheet with its sheet, row and column", body = ProblemsEnvelope)))]
pub async fn import_scenario(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> ScenarioResult<Response> {
    me.require_registry_editor()?;
    let request = read_import(req, &state).await?;
    let format = Format::detect(&request.file);
    if request.preview {
        let preview = msel::preview(&request.file, format, request.mapping.as_ref())
            .map_err(ScenarioError::Sheet)?;
        return Ok(Json(preview).into_response());
    }
    let metadata = match request.scenario_id {
        Some(id) => Some(library::get(&state.db, &me.scope, id).await?.scenario),
        None => None,
    };
    let options = ImportOptions {
        mapping: request.mapping.as_ref(),
        metadata: metadata.as_ref(),
        ..Default::default()
    };
    let scenario = msel::import(&request.file, format, &options).map_err(ScenarioError::Sheet)?;
    let saved = library::save(
        &state.db,
        Owner::Org(me.user.org_id),
        &scenario,
        Some(me.user.id),
    )
    .await?;
    Ok(saved_response(saved).into_response())
}
