//! Maturity pages: the year's maturity of the teams in scope (level, score, the gates
//! that held each back), and the capability self-assessment form of a team for a year
//! (no JavaScript: one select and one evidence box per parameter). Validation is the
//! API's (`validate_assessment`, `validate_year`).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use serde::{Deserialize, Serialize};

use super::common::{FormReader, OrgOption, form_date, org_tree, parse_id};
use super::form::FormData;
use super::{ErrorsVm, PageCtx, PageError, render, render_status};
use crate::domain::FieldErrors;
use crate::error::AppError;
use crate::http::api::maturity::{
    AssessmentDraft, ParameterDraft, may_assess, validate_assessment, validate_year,
};
use crate::maturity::framework::Bilingual;
use crate::maturity::{AssessmentMethod, Framework, GateResult, TeamMaturity};
use crate::state::AppState;
use crate::store;
use crate::store::maturity::{Assessment, AssessmentEvidence};
use crate::time::vietnam_date;
use crate::views::Lang;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/maturity", get(show_maturity))
        .route(
            "/teams/{id}/assessments/{year}",
            get(assessment_form).post(save_assessment),
        )
        .route(
            "/teams/{id}/assessments/{year}/evidence",
            post(upload_attachment).layer(DefaultBodyLimit::max(
                crate::http::api::evidence::MAX_EVIDENCE_BYTES + 64 * 1024,
            )),
        )
}

fn pick(lang: Lang, b: &Bilingual) -> String {
    match lang {
        Lang::Vi => b.vi.clone(),
        Lang::En => b.en.clone(),
    }
}

// ---------------------------------------------------------------- the year's maturity

#[derive(Deserialize, Default)]
pub struct MaturityQuery {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub org_id: String,
}

#[derive(Serialize)]
pub struct MaturityPageVm {
    pub year: String,
    pub org_id: String,
    pub orgs: Vec<OrgOption>,
    pub errors: ErrorsVm,
    pub rows: Vec<MaturityRowVm>,
    pub without: Vec<TeamLinkVm>,
    pub framework: String,
    pub framework_is_proposal: bool,
    /// Server-rendered SVG charts (dimension scores per team, time to detect across
    /// the year's drills, the score across years); `export::svg` escapes every text.
    pub charts: Vec<ChartVm>,
    /// `GET /api/v1/maturity/export` for this year and organisation, per format.
    pub exports: Vec<ExportLinkVm>,
}

#[derive(Serialize)]
pub struct ChartVm {
    pub title: String,
    pub svg: String,
}

#[derive(Serialize)]
pub struct ExportLinkVm {
    pub format_name: &'static str,
    pub url: String,
}

#[derive(Serialize)]
pub struct MaturityRowVm {
    pub team_id: String,
    pub team_name: String,
    pub level: u8,
    pub level_name: String,
    pub score: String,
    pub band_level: u8,
    pub dimensions: Vec<DimensionVm>,
    pub gates_failed: Vec<String>,
    pub notes: Vec<String>,
    pub drills: Vec<DrillVm>,
    pub trend: Vec<TrendVm>,
    pub framework: String,
    pub assessment_url: String,
}

#[derive(Serialize)]
pub struct DimensionVm {
    pub id: String,
    pub name: String,
    pub score: String,
}

#[derive(Serialize)]
pub struct DrillVm {
    pub title: String,
    pub score: String,
    pub head_hash: String,
}

#[derive(Serialize)]
pub struct TrendVm {
    pub year: i32,
    pub level: u8,
    pub score: String,
}

#[derive(Serialize)]
pub struct TeamLinkVm {
    pub name: String,
    pub assessment_url: String,
}

fn gate_line(lang: Lang, g: &GateResult) -> String {
    pick(lang, &g.message)
}

fn row(lang: Lang, m: &TeamMaturity) -> MaturityRowVm {
    MaturityRowVm {
        team_id: m.team_id.to_string(),
        team_name: m.team_name.clone(),
        level: m.level,
        level_name: pick(lang, &m.level_name),
        score: format!("{:.2}", m.score),
        band_level: m.band_level,
        dimensions: m
            .dimensions
            .iter()
            .map(|d| DimensionVm {
                id: d.id.clone(),
                name: pick(lang, &d.name),
                score: format!("{:.2}", d.score),
            })
            .collect(),
        gates_failed: m.gates_failed.iter().map(|g| gate_line(lang, g)).collect(),
        notes: m.notes.iter().map(|n| pick(lang, n)).collect(),
        drills: m
            .drills
            .iter()
            .map(|d| DrillVm {
                title: d.title.clone(),
                score: format!("{:.2}", d.score),
                head_hash: d.head_hash.chars().take(16).collect(),
            })
            .collect(),
        trend: m
            .trend
            .iter()
            .map(|t| TrendVm {
                year: t.year,
                level: t.level,
                score: format!("{:.2}", t.score),
            })
            .collect(),
        framework: format!("{} v{}", m.framework.id, m.framework.version),
        assessment_url: format!("/teams/{}/assessments/{}", m.team_id, m.year),
    }
}

async fn show_maturity(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<MaturityQuery>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let now = Utc::now();
    let today = vietnam_date(now);
    let orgs = store::orgs::list(&state.db, &me.scope)
        .await
        .map_err(|e| ctx.fail(e))?;
    let active = store::maturity::active_framework(&state.db)
        .await
        .map_err(|e| ctx.fail(e))?;
    let mut vm = MaturityPageVm {
        year: if q.year.trim().is_empty() {
            today.year().to_string()
        } else {
            q.year.trim().to_owned()
        },
        org_id: q.org_id.clone(),
        orgs: org_tree(&orgs),
        errors: ErrorsVm::from(&FieldErrors::new()),
        rows: Vec::new(),
        without: Vec::new(),
        framework: pick(ctx.lang, &active.name),
        framework_is_proposal: active.status
            == crate::maturity::framework::FrameworkStatus::Proposal,
        charts: Vec::new(),
        exports: Vec::new(),
    };
    let year = match vm.year.parse::<i64>() {
        Ok(y) => validate_year(y, today, "year"),
        Err(_) => Err(AppError::field("year", "invalid", "must be a year")),
    };
    let year = match year {
        Ok(y) => y,
        Err(e) => {
            vm.errors = ErrorsVm::from(e.fields().unwrap_or(&FieldErrors::new()));
            return Ok(render_status(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/maturity",
                "maturity-title",
                "maturity",
                &vm,
            ));
        }
    };
    let org_id = q.org_id.parse().ok();
    if let Some(org) = org_id {
        store::orgs::get(&state.db, &me.scope, org)
            .await
            .map_err(|e| ctx.fail(e))?;
    }
    let annual = store::maturity::annual(&state.db, &me.scope, org_id, year, today, now)
        .await
        .map_err(|e| ctx.fail(e))?;
    vm.rows = annual.teams.iter().map(|m| row(ctx.lang, m)).collect();
    if !annual.teams.is_empty() {
        vm.charts = charts(year, &active, &annual.teams);
    }
    let org_param = org_id.map_or(String::new(), |o: uuid::Uuid| format!("&org_id={o}"));
    vm.exports = [
        ("PDF", "pdf"),
        ("XLSX", "xlsx"),
        ("CSV", "csv"),
        ("JSON", "json"),
    ]
    .into_iter()
    .map(|(format_name, format)| ExportLinkVm {
        format_name,
        url: format!("/api/v1/maturity/export?year={year}&format={format}{org_param}"),
    })
    .collect();
    vm.without = annual
        .teams_without_records
        .iter()
        .map(|t| TeamLinkVm {
            name: t.name.clone(),
            assessment_url: format!("/teams/{}/assessments/{year}", t.team_id),
        })
        .collect();
    Ok(render(
        &state,
        &ctx,
        "pages/maturity",
        "maturity-title",
        "maturity",
        &vm,
    ))
}

/// The export's charts, drawn from the same content the files carry.
fn charts(year: i32, framework: &Framework, teams: &[TeamMaturity]) -> Vec<ChartVm> {
    use crate::export::{from_maturity, maturity as export, svg};
    let organisation = export::OrgRef {
        id: uuid::Uuid::nil(),
        slug: String::new(),
        name: String::new(),
    };
    let content = from_maturity::content(year, organisation, framework, teams);
    [
        (
            export::dimensions_chart(&content).layout(),
            "chart-dimensions",
        ),
        (export::detection_chart(&content).layout(), "chart-mttd"),
        (export::trend_chart(&content).layout(), "chart-trend"),
    ]
    .into_iter()
    .map(|(figure, id)| ChartVm {
        title: figure.title.clone(),
        svg: svg::render(&figure, id),
    })
    .collect()
}

// ---------------------------------------------------------------- the assessment form

#[derive(Serialize)]
pub struct AssessmentFormVm {
    pub team_name: String,
    pub team_url: String,
    pub year: i32,
    pub action: String,
    pub framework: String,
    pub method: String,
    pub methods: Vec<&'static str>,
    pub assessor: String,
    pub assessed_on: String,
    pub notes: String,
    pub categories: Vec<CategoryVm>,
    pub levels: Vec<String>,
    pub saved: bool,
    pub may_edit: bool,
    pub errors: ErrorsVm,
    /// Where the attachment form posts (multipart: `parameter`, `file`).
    pub upload_action: String,
    /// Why the last attachment was refused, in the words of the API's error.
    pub upload_error: Option<String>,
    pub uploaded: bool,
}

#[derive(Serialize)]
pub struct CategoryVm {
    pub code: String,
    pub name: String,
    pub parameters: Vec<ParameterVm>,
}

#[derive(Serialize)]
pub struct ParameterVm {
    pub code: String,
    pub name: String,
    pub level: String,
    pub evidence: String,
    pub error: Option<String>,
    pub attachments: Vec<AttachmentVm>,
}

#[derive(Serialize)]
pub struct AttachmentVm {
    pub filename: String,
    pub url: String,
    pub size: String,
}

#[expect(
    clippy::too_many_arguments,
    reason = "one view-model from the page's whole state"
)]
fn form_vm(
    lang: Lang,
    framework: &Framework,
    team: &crate::store::teams::Team,
    year: i32,
    values: &FormValues,
    errors: &FieldErrors,
    may_edit: bool,
    saved: bool,
) -> AssessmentFormVm {
    let categories = framework
        .categories
        .iter()
        .map(|c| CategoryVm {
            code: c.code.clone(),
            name: pick(lang, &c.name),
            parameters: framework
                .parameters
                .iter()
                .filter(|p| p.category() == c.code)
                .map(|p| {
                    let (level, evidence) = values
                        .parameters
                        .iter()
                        .find(|(code, _, _)| *code == p.code)
                        .map(|(_, l, e)| (l.clone(), e.clone()))
                        .unwrap_or_else(|| ("0".into(), String::new()));
                    ParameterVm {
                        code: p.code.clone(),
                        name: pick(lang, &p.name),
                        level,
                        evidence,
                        error: errors
                            .get(&format!("parameters.{}.level", p.code))
                            .map(|e| e.message.clone()),
                        attachments: Vec::new(),
                    }
                })
                .collect(),
        })
        .collect();
    AssessmentFormVm {
        team_name: team.name.clone(),
        team_url: format!("/teams/{}", team.id),
        year,
        action: format!("/teams/{}/assessments/{year}", team.id),
        framework: format!("{} v{}", framework.id, framework.version),
        method: values.method.clone(),
        methods: AssessmentMethod::ALL.iter().map(|m| m.code()).collect(),
        assessor: values.assessor.clone(),
        assessed_on: values.assessed_on.clone(),
        notes: values.notes.clone(),
        categories,
        levels: (0..=framework.scale.max).map(|l| l.to_string()).collect(),
        saved,
        may_edit,
        errors: ErrorsVm::from(errors),
        upload_action: format!("/teams/{}/assessments/{year}/evidence", team.id),
        upload_error: None,
        uploaded: false,
    }
}

/// Puts each attached file under its parameter.
fn with_attachments(mut vm: AssessmentFormVm, files: &[AssessmentEvidence]) -> AssessmentFormVm {
    for p in vm
        .categories
        .iter_mut()
        .flat_map(|c| c.parameters.iter_mut())
    {
        p.attachments = files
            .iter()
            .filter(|f| f.parameter == p.code)
            .map(|f| AttachmentVm {
                filename: f.filename.clone(),
                url: format!(
                    "/api/v1/teams/{}/assessments/{}/evidence/{}",
                    f.team_id, f.year, f.id
                ),
                size: human_size(f.size),
            })
            .collect();
    }
    vm
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} B"),
    }
}

/// What the form shows: the stored assessment, or what was typed.
#[derive(Default)]
struct FormValues {
    method: String,
    assessor: String,
    assessed_on: String,
    notes: String,
    /// (code, level as typed, evidence)
    parameters: Vec<(String, String, String)>,
}

impl FormValues {
    fn of(a: &Assessment) -> Self {
        FormValues {
            method: a.method.code().to_owned(),
            assessor: a.assessor.clone(),
            assessed_on: form_date(a.assessed_on),
            notes: a.notes.clone(),
            parameters: a
                .parameters
                .iter()
                .map(|p| (p.code.clone(), p.level.to_string(), p.evidence.clone()))
                .collect(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    pub saved: String,
    #[serde(default)]
    pub uploaded: String,
}

async fn form_context(
    state: &AppState,
    ctx: &PageCtx,
    id: &str,
    year: &str,
) -> Result<
    (
        crate::auth::CurrentUser,
        crate::store::teams::Team,
        i32,
        Option<Assessment>,
        Framework,
    ),
    PageError,
> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(ctx, id)?;
    let today = vietnam_date(Utc::now());
    let year = year
        .parse::<i64>()
        .map_err(|_| ctx.fail(AppError::NotFound))
        .and_then(|y| validate_year(y, today, "year").map_err(|_| ctx.fail(AppError::NotFound)))?;
    let team = store::teams::get(&state.db, &me.scope, id, today)
        .await
        .map_err(|e| ctx.fail(e))?;
    let existing = store::maturity::get_assessment(&state.db, &me.scope, id, year)
        .await
        .map_err(|e| ctx.fail(e))?;
    let framework = match &existing {
        Some(a) => {
            store::maturity::framework(&state.db, &a.framework.id, a.framework.version).await
        }
        None => store::maturity::active_framework(&state.db).await,
    }
    .map_err(|e| ctx.fail(e))?;
    Ok((me, team, year, existing, framework))
}

async fn assessment_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, year)): Path<(String, String)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let (me, team, year, existing, framework) = form_context(&state, &ctx, &id, &year).await?;
    let may_edit = may_assess(&state, &me, team.id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let values = existing.as_ref().map(FormValues::of).unwrap_or(FormValues {
        method: "self".into(),
        ..Default::default()
    });
    let mut vm = form_vm(
        ctx.lang,
        &framework,
        &team,
        year,
        &values,
        &FieldErrors::new(),
        may_edit,
        q.saved == "1",
    );
    vm.uploaded = q.uploaded == "1";
    let files = store::maturity::list_assessment_evidence(&state.db, &me.scope, team.id, year)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = with_attachments(vm, &files);
    Ok(render(
        &state,
        &ctx,
        "pages/assessment_form",
        "assessment-title",
        "maturity",
        &vm,
    ))
}

async fn save_assessment(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, year)): Path<(String, String)>,
    form: FormData,
) -> Result<Response, PageError> {
    let (me, team, year, _existing, framework) = form_context(&state, &ctx, &id, &year).await?;
    if !may_assess(&state, &me, team.id)
        .await
        .map_err(|e| ctx.fail(e))?
    {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let mut reader = FormReader::new(&form);
    let assessed_on = reader.date("assessed_on");
    let mut errors = reader.errors.clone();
    let values = FormValues {
        method: form.get("method").to_owned(),
        assessor: form.get("assessor").to_owned(),
        assessed_on: form.get("assessed_on").to_owned(),
        notes: form.get("notes").to_owned(),
        parameters: framework
            .parameters
            .iter()
            .map(|p| {
                (
                    p.code.clone(),
                    form.get(&format!("level.{}", p.code)).to_owned(),
                    form.get(&format!("evidence.{}", p.code)).to_owned(),
                )
            })
            .collect(),
    };
    let mut parameters = Vec::new();
    for (code, level, evidence) in &values.parameters {
        match level.trim().parse::<i64>() {
            Ok(level) => parameters.push(ParameterDraft {
                code: code.clone(),
                level,
                evidence: evidence.clone(),
            }),
            Err(_) => errors.add(
                format!("parameters.{code}.level"),
                "invalid",
                format!("{code}: choose a level"),
            ),
        }
    }
    let draft = AssessmentDraft {
        method: values.method.clone(),
        assessor: values.assessor.clone(),
        assessed_on,
        parameters,
        notes: values.notes.clone(),
    };
    let write = match validate_assessment(draft, &framework) {
        Ok(w) if errors.is_empty() => Some(w),
        Ok(_) => None,
        Err(e) => {
            for (field, err) in e.0 {
                errors.add(field, err.code, err.message);
            }
            None
        }
    };
    let Some(write) = write else {
        let vm = form_vm(
            ctx.lang, &framework, &team, year, &values, &errors, true, false,
        );
        return Ok(render_status(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/assessment_form",
            "assessment-title",
            "maturity",
            &vm,
        ));
    };
    store::maturity::put_assessment(
        &state.db,
        &me.scope,
        team.id,
        year,
        &write,
        me.user.id,
        Utc::now(),
    )
    .await
    .map_err(|e| ctx.fail(e))?;
    Ok(Redirect::to(&format!("/teams/{}/assessments/{year}?saved=1", team.id)).into_response())
}

/// The attachment form: one file for one parameter. Refused uploads show the form
/// again with the reason; nothing is recorded.
async fn upload_attachment(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, year)): Path<(String, String)>,
    req: Request,
) -> Result<Response, PageError> {
    use crate::http::api::assessment_evidence::{receive_upload, record};
    let (me, team, year, existing, framework) = form_context(&state, &ctx, &id, &year).await?;
    let headers = req.headers().clone();
    let outcome = async {
        let received = receive_upload(&state, &me, team.id, i64::from(year), req).await?;
        let token = received.texts.get("_csrf").cloned().unwrap_or_default();
        if !crate::auth::session::form_token_matches(&headers, &token) {
            return Err(AppError::Forbidden);
        }
        record(&state, &me, team.id, received).await
    }
    .await;
    let error = match outcome {
        Ok(_) => {
            return Ok(Redirect::to(&format!(
                "/teams/{}/assessments/{year}?uploaded=1#attachments",
                team.id
            ))
            .into_response());
        }
        Err(e @ (AppError::Validation(_) | AppError::PayloadTooLarge)) => e,
        Err(e) => return Err(ctx.fail(e)),
    };
    let message = match &error {
        AppError::Validation(fields) => fields
            .0
            .iter()
            .map(|(field, e)| format!("{field}: {}", e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.envelope().error.message,
    };
    let values = existing.as_ref().map(FormValues::of).unwrap_or(FormValues {
        method: "self".into(),
        ..Default::default()
    });
    let mut vm = form_vm(
        ctx.lang,
        &framework,
        &team,
        year,
        &values,
        &FieldErrors::new(),
        true,
        false,
    );
    vm.upload_error = Some(message);
    let files = store::maturity::list_assessment_evidence(&state.db, &me.scope, team.id, year)
        .await
        .map_err(|e| ctx.fail(e))?;
    let vm = with_attachments(vm, &files);
    Ok(render_status(
        &state,
        &ctx,
        error.status(),
        "pages/assessment_form",
        "assessment-title",
        "maturity",
        &vm,
    ))
}
