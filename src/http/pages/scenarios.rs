//! Scenario pages: the library (shipped and user scenarios), a scenario with its
//! timeline, injects and version history, the web editor (rows added, moved and
//! removed without JavaScript), the upload of a scenario file, and the MSEL
//! spreadsheet import with its column-mapping step.
//!
//! Validation is the file validator's everywhere: the editor writes the form out
//! as a file and reads it back (see `scenario_form`), uploads are files, and
//! imports go through `scenario::msel`. Saving is `store::scenarios`.

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::common::{LEVELS, codes, parse_id, require_editor};
use super::form::FormData;
use super::scenario_form::{Action, ProblemVm, ScenarioFields};
use super::{PageCtx, PageError, render, render_status};
use crate::auth::CurrentUser;
use crate::auth::session::form_token_matches;
use crate::error::AppError;
use crate::scenario::msel::{
    self, ColumnMapping, ColumnRef, ColumnRule, ExpectationPart, Field, Format, ImportOptions,
    ImportProblem,
};
use crate::scenario::{
    Audience, Channel, DrillKind, ExpectationKind, IncidentCategory, Release, Scenario, format_hms,
    parse_hms, parse_scenario, parse_scenario_bytes, technique_name,
};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::scenarios::{self as library, LoadedVersion, Origin, Owner, ScenarioFilter};
use crate::views::Lang;

/// Largest multipart body the upload and import pages accept.
const UPLOAD_BODY_LIMIT: usize = msel::MAX_UPLOAD_BYTES + 256 * 1024;

pub fn router() -> Router<AppState> {
    let uploads = Router::new()
        .route("/scenarios/upload", get(upload_form).post(upload_file))
        .route("/scenarios/import", get(import_form).post(import_file))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    Router::new()
        .route("/scenarios", get(list_scenarios))
        .route("/scenarios/new", get(new_scenario).post(create_scenario))
        .route("/scenarios/import/{upload}", post(import_mapped))
        .route("/scenarios/{id}", get(show_scenario))
        .route(
            "/scenarios/{id}/edit",
            get(edit_scenario).post(save_scenario),
        )
        .merge(uploads)
}

/// The text in the page's language first, the other language second.
fn pair(lang: Lang, vi: &str, en: &str) -> (String, String) {
    match lang {
        Lang::Vi => (vi.to_owned(), en.to_owned()),
        Lang::En => (en.to_owned(), vi.to_owned()),
    }
}

fn db_fail(ctx: &PageCtx) -> impl Fn(StoreError) -> PageError + '_ {
    move |e| ctx.fail(e)
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct ScenarioListQuery {
    #[serde(default)]
    pub category: String,
    /// Suits a system of this level.
    #[serde(default)]
    pub level: String,
}

#[derive(Serialize)]
pub struct ScenarioRowVm {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub title_other: String,
    pub category: &'static str,
    pub min_level: u8,
    pub origin: &'static str,
    pub version: i32,
    pub inject_count: u32,
    pub duration: String,
}

#[derive(Serialize)]
pub struct ScenariosVm {
    pub filters: ScenarioListQuery,
    pub rows: Vec<ScenarioRowVm>,
    pub categories: Vec<&'static str>,
    pub levels: Vec<&'static str>,
    pub may_edit: bool,
}

async fn list_scenarios(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(query): Query<ScenarioListQuery>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let filter = ScenarioFilter {
        category: query.category.parse().ok(),
        for_level: query.level.parse().ok(),
        ..Default::default()
    };
    let items = library::list(&state.db, &me.scope, &filter)
        .await
        .map_err(db_fail(&ctx))?;
    let rows = items
        .iter()
        .map(|s| {
            let (title, title_other) = pair(ctx.lang, &s.title.vi, &s.title.en);
            ScenarioRowVm {
                id: s.id.to_string(),
                slug: s.slug.clone(),
                title,
                title_other,
                category: s.category.code(),
                min_level: s.min_level,
                origin: s.origin.code(),
                version: s.version,
                inject_count: s.inject_count,
                duration: format_hms(s.duration_s),
            }
        })
        .collect();
    let vm = ScenariosVm {
        filters: query,
        rows,
        categories: codes(IncidentCategory::ALL, IncidentCategory::code),
        levels: LEVELS.to_vec(),
        may_edit: me.user.role.may_edit_registry(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/scenarios",
        "scenarios-title",
        "scenarios",
        &vm,
    ))
}

// ---------------------------------------------------------------- timeline

#[derive(Serialize, Debug, Clone)]
pub struct TickVm {
    pub x: f64,
    pub text: String,
    pub y1: f64,
    pub y2: f64,
    pub label_y: f64,
}

#[derive(Serialize, Debug, Clone)]
pub struct LaneVm {
    /// Fluent key of the audience.
    pub key: &'static str,
    pub class: &'static str,
    pub y: f64,
    pub text_y: f64,
    pub x1: f64,
    pub x2: f64,
}

#[derive(Serialize, Debug, Clone)]
pub struct MarkVm {
    pub x: f64,
    pub y: f64,
    pub class: &'static str,
    pub key: String,
    pub title: String,
    pub offset: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct ManualVm {
    pub key: String,
    pub title: String,
    pub class: &'static str,
}

/// An SVG drawing of the injects by offset across the duration, one lane per
/// audience. Positions are computed here (SVG attributes, no inline styles: the
/// CSP forbids them); colours come from the lane's class.
#[derive(Serialize, Debug, Clone, Default)]
pub struct TimelineVm {
    pub width: f64,
    pub height: f64,
    pub plot_left: f64,
    pub plot_right: f64,
    pub axis_y: f64,
    pub duration: String,
    pub ticks: Vec<TickVm>,
    pub lanes: Vec<LaneVm>,
    pub marks: Vec<MarkVm>,
    pub manual: Vec<ManualVm>,
    pub has_marks: bool,
}

/// One inject as the timeline needs it.
pub struct TimelineItem {
    pub key: String,
    pub title: String,
    pub audience: String,
    pub offset: Option<u32>,
}

const LANES: [(&str, &str, &str); 5] = [
    ("all", "audience-all", "tl-all"),
    ("blue", "audience-blue", "tl-blue"),
    ("red", "audience-red", "tl-red"),
    ("controllers", "audience-controllers", "tl-controllers"),
    ("team", "audience-team-any", "tl-team"),
];

fn lane_of(audience: &str) -> usize {
    if audience.starts_with("team:") {
        return 4;
    }
    LANES
        .iter()
        .position(|(code, _, _)| *code == audience)
        .unwrap_or(0)
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

pub fn timeline(duration_secs: u32, items: &[TimelineItem]) -> TimelineVm {
    const WIDTH: f64 = 960.0;
    const LEFT: f64 = 150.0;
    const RIGHT: f64 = 940.0;
    const LANE: f64 = 30.0;
    const TOP: f64 = 8.0;
    let used: Vec<usize> = (0..LANES.len())
        .filter(|lane| {
            items
                .iter()
                .any(|i| i.offset.is_some() && lane_of(&i.audience) == *lane)
        })
        .collect();
    let lane_y = |lane: usize| {
        let row = used.iter().position(|l| *l == lane).unwrap_or(0);
        TOP + LANE * row as f64 + LANE / 2.0
    };
    let axis_y = TOP + LANE * used.len().max(1) as f64 + 4.0;
    let duration = f64::from(duration_secs.max(1));
    let x_of = |offset: u32| {
        round1(LEFT + (RIGHT - LEFT) * f64::from(offset.min(duration_secs)) / duration)
    };
    // About eight ticks, on round steps.
    let step = [300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
        .into_iter()
        .find(|s| duration_secs / s <= 8)
        .unwrap_or(86400);
    let ticks = (0..=duration_secs / step)
        .map(|k| {
            let at = k * step;
            // "+1:30" rather than "+01:30:00": ticks are read at a glance.
            TickVm {
                x: x_of(at),
                text: format!("+{}:{:02}", at / 3600, at % 3600 / 60),
                y1: TOP,
                y2: axis_y,
                label_y: axis_y + 16.0,
            }
        })
        .collect();
    let marks: Vec<MarkVm> = items
        .iter()
        .filter_map(|i| {
            let offset = i.offset?;
            let lane = lane_of(&i.audience);
            Some(MarkVm {
                x: x_of(offset),
                y: lane_y(lane),
                class: LANES[lane].2,
                key: i.key.clone(),
                title: i.title.clone(),
                offset: format!("+{}", format_hms(offset)),
            })
        })
        .collect();
    TimelineVm {
        width: WIDTH,
        height: axis_y + 22.0,
        plot_left: LEFT,
        plot_right: RIGHT,
        axis_y,
        duration: format_hms(duration_secs),
        ticks,
        lanes: used
            .iter()
            .map(|lane| LaneVm {
                key: LANES[*lane].1,
                class: LANES[*lane].2,
                y: lane_y(*lane),
                text_y: lane_y(*lane) + 4.0,
                x1: LEFT,
                x2: RIGHT,
            })
            .collect(),
        has_marks: !marks.is_empty(),
        marks,
        manual: items
            .iter()
            .filter(|i| i.offset.is_none())
            .map(|i| ManualVm {
                key: i.key.clone(),
                title: i.title.clone(),
                class: LANES[lane_of(&i.audience)].2,
            })
            .collect(),
    }
}

fn scenario_timeline(s: &Scenario, lang: Lang) -> TimelineVm {
    let items: Vec<TimelineItem> = s
        .injects
        .iter()
        .map(|i| TimelineItem {
            key: i.key.to_string(),
            title: pair(lang, &i.title.vi, &i.title.en).0,
            audience: i.audience.to_string(),
            offset: i.release.offset_secs(),
        })
        .collect();
    timeline(s.duration_secs, &items)
}

/// The editor's timeline, from whatever offsets already read as durations.
fn form_timeline(fields: &ScenarioFields, lang: Lang) -> TimelineVm {
    let seconds = |text: &str| -> Option<u32> {
        let t = text.trim();
        if t.is_empty() {
            None
        } else if t.bytes().all(|b| b.is_ascii_digit()) {
            t.parse().ok()
        } else {
            parse_hms(t).ok()
        }
    };
    let Some(duration) = seconds(&fields.duration).filter(|d| *d > 0) else {
        return TimelineVm::default();
    };
    let items: Vec<TimelineItem> = fields
        .injects
        .iter()
        .filter(|r| !r.key.is_empty() || !r.title_vi.is_empty() || !r.title_en.is_empty())
        .map(|r| TimelineItem {
            key: r.key.clone(),
            title: pair(lang, &r.title_vi, &r.title_en).0,
            audience: r.audience.clone(),
            offset: if r.manual { None } else { seconds(&r.offset) },
        })
        .collect();
    timeline(duration, &items)
}

// ---------------------------------------------------------------- detail

#[derive(Serialize)]
pub struct TechniqueVm {
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
pub struct TextPairVm {
    pub text: String,
    pub other: String,
}

#[derive(Serialize)]
pub struct ExpectationVm {
    pub kind: &'static str,
    pub target: String,
    pub points: u32,
    pub technique: Option<String>,
    pub technique_name: Option<String>,
    pub description: Option<String>,
}

#[derive(Serialize)]
pub struct InjectVm {
    pub n: usize,
    pub key: String,
    pub offset: Option<String>,
    /// Fluent key of the audience and, for a team slot, the slot.
    pub audience_key: &'static str,
    pub team_slot: String,
    pub audience_class: &'static str,
    pub channel: &'static str,
    pub title: String,
    pub title_other: String,
    pub body: String,
    pub body_other: String,
    pub playbook_category: Option<&'static str>,
    pub playbook_step: Option<u32>,
    pub expectations: Vec<ExpectationVm>,
}

#[derive(Serialize)]
pub struct VersionRowVm {
    pub version: i32,
    pub saved_at: String,
    pub inject_count: u32,
    pub sha_short: String,
    pub is_shown: bool,
    pub is_current: bool,
}

#[derive(Serialize)]
pub struct ScenarioVm {
    pub id: String,
    pub slug: String,
    pub origin: &'static str,
    pub version: i32,
    pub current_version: i32,
    pub is_current: bool,
    pub sha: String,
    pub title: String,
    pub title_other: String,
    pub summary: String,
    pub summary_other: String,
    pub category: &'static str,
    pub min_level: u8,
    pub drill_kinds: Vec<&'static str>,
    pub duration: String,
    pub techniques: Vec<TechniqueVm>,
    pub objectives: Vec<TextPairVm>,
    pub injects: Vec<InjectVm>,
    pub timeline: TimelineVm,
    pub versions: Vec<VersionRowVm>,
    pub may_edit: bool,
}

fn audience_parts(a: &Audience) -> (&'static str, String, &'static str) {
    match a {
        Audience::All => ("audience-all", String::new(), "tl-all"),
        Audience::Blue => ("audience-blue", String::new(), "tl-blue"),
        Audience::Red => ("audience-red", String::new(), "tl-red"),
        Audience::Controllers => ("audience-controllers", String::new(), "tl-controllers"),
        Audience::Team(slot) => ("audience-team", slot.to_string(), "tl-team"),
    }
}

fn inject_vms(s: &Scenario, lang: Lang) -> Vec<InjectVm> {
    s.injects
        .iter()
        .enumerate()
        .map(|(i, inj)| {
            let (title, title_other) = pair(lang, &inj.title.vi, &inj.title.en);
            let (body, body_other) = pair(lang, &inj.body.vi, &inj.body.en);
            let (audience_key, team_slot, audience_class) = audience_parts(&inj.audience);
            InjectVm {
                n: i + 1,
                key: inj.key.to_string(),
                offset: match inj.release {
                    Release::Scheduled { offset_secs } => {
                        Some(format!("+{}", format_hms(offset_secs)))
                    }
                    Release::Manual => None,
                },
                audience_key,
                team_slot,
                audience_class,
                channel: inj.channel.as_str(),
                title,
                title_other,
                body,
                body_other,
                playbook_category: inj.playbook_step.map(|p| p.category.code()),
                playbook_step: inj.playbook_step.map(|p| p.step.get()),
                expectations: inj
                    .expectations
                    .iter()
                    .map(|e| ExpectationVm {
                        kind: e.kind.as_str(),
                        target: format_hms(e.target_secs),
                        points: e.points,
                        technique: e.technique.as_ref().map(|t| t.as_str().to_owned()),
                        technique_name: e
                            .technique
                            .as_ref()
                            .and_then(|t| technique_name(t.as_str()))
                            .map(str::to_owned),
                        description: e.description.as_ref().map(|d| pair(lang, &d.vi, &d.en).0),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct VersionQuery {
    #[serde(default)]
    pub version: String,
}

async fn show_scenario(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?.clone();
    let id = parse_id(&ctx, &id)?;
    let loaded = match query.version.parse::<i32>() {
        Ok(n) => library::version(&state.db, &me.scope, id, n).await,
        Err(_) => library::get(&state.db, &me.scope, id).await,
    }
    .map_err(db_fail(&ctx))?;
    let versions = library::versions(&state.db, &me.scope, id)
        .await
        .map_err(db_fail(&ctx))?;
    let vm = scenario_vm(&loaded, &versions, &me, ctx.lang);
    Ok(render(
        &state,
        &ctx,
        "pages/scenario",
        "scenario-title",
        "scenarios",
        &vm,
    ))
}

pub fn scenario_vm(
    loaded: &LoadedVersion,
    versions: &[library::VersionInfo],
    me: &CurrentUser,
    lang: Lang,
) -> ScenarioVm {
    let s = &loaded.scenario;
    let (title, title_other) = pair(lang, &s.title.vi, &s.title.en);
    let (summary, summary_other) = pair(lang, &s.summary.vi, &s.summary.en);
    let shown = loaded.version.version;
    ScenarioVm {
        id: loaded.summary.id.to_string(),
        slug: loaded.summary.slug.clone(),
        origin: loaded.summary.origin.code(),
        version: shown,
        current_version: loaded.summary.version,
        is_current: shown == loaded.summary.version,
        sha: loaded.version.content_sha256.clone(),
        title,
        title_other,
        summary,
        summary_other,
        category: s.category.code(),
        min_level: s.min_level.get(),
        drill_kinds: s.drill_kinds.iter().map(|k| k.as_str()).collect(),
        duration: format_hms(s.duration_secs),
        techniques: s
            .techniques
            .iter()
            .map(|t| TechniqueVm {
                id: t.as_str().to_owned(),
                name: technique_name(t.as_str()).unwrap_or_default().to_owned(),
            })
            .collect(),
        objectives: s
            .objectives
            .iter()
            .map(|o| {
                let (text, other) = pair(lang, &o.vi, &o.en);
                TextPairVm { text, other }
            })
            .collect(),
        injects: inject_vms(s, lang),
        timeline: scenario_timeline(s, lang),
        versions: versions
            .iter()
            .map(|v| VersionRowVm {
                version: v.version,
                saved_at: v.created_at.to_rfc3339(),
                inject_count: v.inject_count,
                sha_short: v.content_sha256.chars().take(12).collect(),
                is_shown: v.version == shown,
                is_current: v.version == loaded.summary.version,
            })
            .collect(),
        may_edit: loaded.summary.origin == Origin::User && me.user.role.may_edit_registry(),
    }
}

// ---------------------------------------------------------------- editor

#[derive(Serialize, Debug, Clone)]
pub struct AudienceOption {
    pub value: String,
    pub key: &'static str,
    pub slot: String,
}

#[derive(Serialize)]
pub struct ScenarioFormVm {
    pub is_new: bool,
    pub action: String,
    pub cancel: String,
    /// The version this edit replaces (0 for a new scenario).
    pub version: i32,
    pub form: ScenarioFields,
    pub problems: Vec<ProblemVm>,
    /// "Check" found no problem.
    pub checked_ok: bool,
    pub categories: Vec<&'static str>,
    pub levels: Vec<&'static str>,
    pub drill_kinds: Vec<&'static str>,
    pub audiences: Vec<AudienceOption>,
    pub channels: Vec<&'static str>,
    pub expectation_kinds: Vec<&'static str>,
    pub timeline: TimelineVm,
}

fn audience_options(fields: &ScenarioFields) -> Vec<AudienceOption> {
    let mut options: Vec<AudienceOption> = ["all", "blue", "red", "controllers"]
        .into_iter()
        .map(|code| AudienceOption {
            value: code.to_owned(),
            key: LANES[lane_of(code)].1,
            slot: String::new(),
        })
        .collect();
    // Team slots the scenario already uses (new ones come through a file).
    for row in &fields.injects {
        if let Some(slot) = row.audience.strip_prefix("team:")
            && !options.iter().any(|o| o.value == row.audience)
        {
            options.push(AudienceOption {
                value: row.audience.clone(),
                key: "audience-team",
                slot: slot.to_owned(),
            });
        }
    }
    options
}

fn form_vm(
    existing: Option<&LoadedVersion>,
    fields: ScenarioFields,
    problems: Vec<ProblemVm>,
    checked_ok: bool,
    lang: Lang,
) -> ScenarioFormVm {
    let timeline = form_timeline(&fields, lang);
    let audiences = audience_options(&fields);
    ScenarioFormVm {
        is_new: existing.is_none(),
        action: existing.map_or_else(
            || "/scenarios/new".to_owned(),
            |l| format!("/scenarios/{}/edit", l.summary.id),
        ),
        cancel: existing.map_or_else(
            || "/scenarios".to_owned(),
            |l| format!("/scenarios/{}", l.summary.id),
        ),
        version: existing.map_or(0, |l| l.summary.version),
        form: fields.finish(),
        problems,
        checked_ok,
        categories: codes(IncidentCategory::ALL, IncidentCategory::code),
        levels: LEVELS.to_vec(),
        drill_kinds: DrillKind::ALL.iter().map(|k| k.as_str()).collect(),
        audiences,
        channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
        expectation_kinds: ExpectationKind::ALL.iter().map(|k| k.as_str()).collect(),
        timeline,
    }
}

fn form_title(existing: Option<&LoadedVersion>) -> &'static str {
    if existing.is_some() {
        "scenario-edit-title"
    } else {
        "scenario-new-title"
    }
}

fn render_form(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    existing: Option<&LoadedVersion>,
    vm: &ScenarioFormVm,
) -> Response {
    render_status(
        state,
        ctx,
        status,
        "pages/scenario_form",
        form_title(existing),
        "scenarios",
        vm,
    )
}

async fn new_scenario(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    require_editor(&ctx)?;
    let vm = form_vm(None, ScenarioFields::blank(), Vec::new(), false, ctx.lang);
    Ok(render_form(&state, &ctx, StatusCode::OK, None, &vm))
}

/// A user scenario the caller may edit; shipped scenarios change through their files.
async fn editable(
    state: &AppState,
    ctx: &PageCtx,
    id: &str,
) -> Result<(CurrentUser, LoadedVersion), PageError> {
    let me = require_editor(ctx)?;
    let id = parse_id(ctx, id)?;
    let loaded = library::get(&state.db, &me.scope, id)
        .await
        .map_err(db_fail(ctx))?;
    if loaded.summary.origin == Origin::Shipped {
        return Err(ctx.fail(AppError::Conflict {
            message: "shipped scenarios change through their files".into(),
            fields: Default::default(),
        }));
    }
    Ok((me, loaded))
}

async fn edit_scenario(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (_, loaded) = editable(&state, &ctx, &id).await?;
    let fields = ScenarioFields::from_scenario(&loaded.scenario);
    let vm = form_vm(Some(&loaded), fields, Vec::new(), false, ctx.lang);
    Ok(render_form(
        &state,
        &ctx,
        StatusCode::OK,
        Some(&loaded),
        &vm,
    ))
}

async fn create_scenario(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    submit(&state, &ctx, &me, None, &form).await
}

async fn save_scenario(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let (me, loaded) = editable(&state, &ctx, &id).await?;
    submit(&state, &ctx, &me, Some(&loaded), &form).await
}

/// One press of a form button: a row edit (re-render, nothing saved), a check, or a save.
async fn submit(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    existing: Option<&LoadedVersion>,
    form: &FormData,
) -> Result<Response, PageError> {
    let mut fields = ScenarioFields::from_form(form);
    let action = Action::parse(form.get("action"));
    if fields.apply(action) {
        let vm = form_vm(existing, fields, Vec::new(), false, ctx.lang);
        return Ok(render_form(state, ctx, StatusCode::OK, existing, &vm));
    }
    let (file, slots) = fields.to_file();
    let scenario = match parse_scenario(&file) {
        Ok(s) => s,
        Err(problems) => {
            let list = fields.place_problems(&problems, &slots, ctx.lang);
            let vm = form_vm(existing, fields, list, false, ctx.lang);
            return Ok(render_form(
                state,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                existing,
                &vm,
            ));
        }
    };
    if action == Action::Check {
        let vm = form_vm(existing, fields, Vec::new(), true, ctx.lang);
        return Ok(render_form(state, ctx, StatusCode::OK, existing, &vm));
    }
    let result = match existing {
        Some(l) => {
            library::save_version(
                &state.db,
                &me.scope,
                l.summary.id,
                &scenario,
                Some(me.user.id),
            )
            .await
        }
        None => {
            library::save(
                &state.db,
                Owner::Org(me.user.org_id),
                &scenario,
                Some(me.user.id),
            )
            .await
        }
    };
    match result {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/scenarios/{}", saved.loaded.summary.id)).into_response())
        }
        Err(StoreError::Conflict { message, .. } | StoreError::Invalid { message, .. }) => {
            // The store's only refusals are about the scenario id (a shipped id, an id
            // that changed): show the message beside that field.
            fields.errors.id = Some(message.clone());
            let list = vec![ProblemVm {
                place: "scenario-place-scenario",
                n: 0,
                field: Some("scenario-field-id"),
                at: String::new(),
                message,
            }];
            let vm = form_vm(existing, fields, list, false, ctx.lang);
            Ok(render_form(state, ctx, StatusCode::CONFLICT, existing, &vm))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- uploads

/// The parts of an upload form.
#[derive(Default)]
struct UploadParts {
    csrf: String,
    file_name: String,
    file: Option<Vec<u8>>,
    scenario_id: String,
}

async fn read_parts(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<UploadParts, AppError> {
    let too_large_or_bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest("the upload was cut off or malformed; try again".into())
        }
    };
    let mut multipart =
        multipart.map_err(|_| AppError::BadRequest("expected a file upload form".into()))?;
    let mut parts = UploadParts::default();
    while let Some(field) = multipart.next_field().await.map_err(too_large_or_bad)? {
        match field.name().unwrap_or_default() {
            "_csrf" => parts.csrf = field.text().await.map_err(too_large_or_bad)?,
            "scenario_id" => parts.scenario_id = field.text().await.map_err(too_large_or_bad)?,
            "file" => {
                parts.file_name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(too_large_or_bad)?;
                if bytes.len() > msel::MAX_UPLOAD_BYTES {
                    return Err(AppError::PayloadTooLarge);
                }
                // A form submitted without choosing a file sends an empty part.
                if !bytes.is_empty() {
                    parts.file = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(parts)
}

/// Reads an upload form and checks its CSRF token (multipart bodies do not go
/// through `FormData`, which checks it for urlencoded forms).
async fn checked_parts(
    ctx: &PageCtx,
    headers: &HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<UploadParts, PageError> {
    let parts = read_parts(multipart).await.map_err(|e| ctx.fail(e))?;
    if !form_token_matches(headers, &parts.csrf) {
        return Err(ctx.fail(AppError::Forbidden));
    }
    Ok(parts)
}

#[derive(Serialize, Default)]
pub struct FileProblemVm {
    pub at: String,
    pub message: String,
}

#[derive(Serialize, Default)]
pub struct ScenarioUploadVm {
    pub file_name: String,
    pub problems: Vec<FileProblemVm>,
}

async fn upload_form(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    require_editor(&ctx)?;
    let vm = ScenarioUploadVm::default();
    Ok(render(
        &state,
        &ctx,
        "pages/scenario_upload",
        "scenario-upload-title",
        "scenarios",
        &vm,
    ))
}

async fn upload_file(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let parts = checked_parts(&ctx, &headers, multipart).await?;
    let refused = |problems: Vec<FileProblemVm>, status: StatusCode| {
        let vm = ScenarioUploadVm {
            file_name: parts.file_name.clone(),
            problems,
        };
        render_status(
            &state,
            &ctx,
            status,
            "pages/scenario_upload",
            "scenario-upload-title",
            "scenarios",
            &vm,
        )
    };
    let Some(bytes) = parts.file.as_deref() else {
        let problem = FileProblemVm {
            at: String::new(),
            message: pair(
                ctx.lang,
                "hãy chọn một tệp kịch bản (.toml) để tải lên",
                "choose a scenario file (.toml) to upload",
            )
            .0,
        };
        return Ok(refused(vec![problem], StatusCode::UNPROCESSABLE_ENTITY));
    };
    let scenario = match parse_scenario_bytes(bytes) {
        Ok(s) => s,
        Err(problems) => {
            let list = problems
                .into_iter()
                .map(|p| FileProblemVm {
                    at: format!("{}:{}", p.line, p.col),
                    message: p.message_in(ctx.lang == Lang::Vi).to_owned(),
                })
                .collect();
            return Ok(refused(list, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    match library::save(
        &state.db,
        Owner::Org(me.user.org_id),
        &scenario,
        Some(me.user.id),
    )
    .await
    {
        Ok(saved) => {
            Ok(Redirect::to(&format!("/scenarios/{}", saved.loaded.summary.id)).into_response())
        }
        Err(StoreError::Conflict { message, .. } | StoreError::Invalid { message, .. }) => {
            let problem = FileProblemVm {
                at: String::new(),
                message,
            };
            Ok(refused(vec![problem], StatusCode::CONFLICT))
        }
        Err(e) => Err(ctx.fail(e)),
    }
}

// ---------------------------------------------------------------- import

#[derive(Serialize, Debug, Clone)]
pub struct ScenarioOptionVm {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct SheetProblemVm {
    pub place: String,
    pub message: String,
}

#[derive(Serialize, Default)]
pub struct ScenarioImportVm {
    pub scenarios: Vec<ScenarioOptionVm>,
    pub problems: Vec<SheetProblemVm>,
}

#[derive(Serialize, Debug, Clone)]
pub struct FieldOptionVm {
    pub value: String,
    /// Fluent key of the field's label, with the expectation slot `n` when it has one.
    pub key: &'static str,
    pub n: u16,
}

#[derive(Serialize, Debug, Clone)]
pub struct ColumnVm {
    pub i: usize,
    pub header: String,
    /// The field the column feeds now ("" = ignored).
    pub selected: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct SampleRowVm {
    pub number: usize,
    pub cells: Vec<String>,
}

#[derive(Serialize)]
pub struct ScenarioMappingVm {
    pub upload_id: String,
    pub file_name: String,
    pub sheet: Option<String>,
    pub header_row: usize,
    pub columns: Vec<ColumnVm>,
    pub fields: Vec<FieldOptionVm>,
    pub rows: Vec<SampleRowVm>,
    pub inject_rows: usize,
    pub has_metadata: bool,
    pub scenario_id: String,
    pub scenarios: Vec<ScenarioOptionVm>,
    pub problems: Vec<SheetProblemVm>,
}

fn sheet_problems(problems: &[ImportProblem], lang: Lang) -> Vec<SheetProblemVm> {
    problems
        .iter()
        .map(|p| SheetProblemVm {
            place: sheet_place(p, lang),
            message: p.message_in(lang == Lang::Vi).to_owned(),
        })
        .collect()
}

/// Where a spreadsheet problem is, as the planner's spreadsheet program names it,
/// in the page's language: `trang tính "MSEL", dòng 12, cột "Thời điểm"`.
fn sheet_place(p: &ImportProblem, lang: Lang) -> String {
    let vi = lang == Lang::Vi;
    let mut parts = Vec::new();
    if let Some(sheet) = &p.sheet {
        parts.push(if vi {
            format!("trang tính \"{sheet}\"")
        } else {
            format!("sheet \"{sheet}\"")
        });
    }
    if let Some(row) = p.row {
        parts.push(if vi {
            format!("dòng {row}")
        } else {
            format!("row {row}")
        });
    }
    if let Some(column) = &p.column {
        parts.push(if vi {
            format!("cột \"{column}\"")
        } else {
            format!("column \"{column}\"")
        });
    }
    if parts.is_empty() {
        whole_file(lang)
    } else {
        parts.join(", ")
    }
}

/// The place of a problem with the file as a whole.
fn whole_file(lang: Lang) -> String {
    pair(lang, "tệp", "file").0
}

fn field_key(field: Field) -> &'static str {
    match field {
        Field::Key => "msel-field-key",
        Field::Offset => "msel-field-offset",
        Field::Audience => "msel-field-audience",
        Field::Channel => "msel-field-channel",
        Field::TitleVi => "msel-field-title-vi",
        Field::TitleEn => "msel-field-title-en",
        Field::BodyVi => "msel-field-body-vi",
        Field::BodyEn => "msel-field-body-en",
        Field::PlaybookCategory => "msel-field-playbook-category",
        Field::PlaybookStep => "msel-field-playbook-step",
        Field::Expectation(_, part) => match part {
            ExpectationPart::Kind => "msel-field-exp-kind",
            ExpectationPart::Target => "msel-field-exp-target",
            ExpectationPart::Points => "msel-field-exp-points",
            ExpectationPart::Technique => "msel-field-exp-technique",
            ExpectationPart::DescriptionVi => "msel-field-exp-desc-vi",
            ExpectationPart::DescriptionEn => "msel-field-exp-desc-en",
        },
    }
}

/// Every field a column can be mapped to: the inject fields, then the parts of
/// expectation slots 1–3 (and any higher slot the file already uses).
fn field_options(used: &[Option<Field>]) -> Vec<FieldOptionVm> {
    let slots = used
        .iter()
        .flatten()
        .filter_map(|f| match f {
            Field::Expectation(n, _) => Some(*n),
            _ => None,
        })
        .max()
        .unwrap_or(0)
        .max(3);
    let simple = [
        Field::Key,
        Field::Offset,
        Field::Audience,
        Field::Channel,
        Field::TitleVi,
        Field::TitleEn,
        Field::BodyVi,
        Field::BodyEn,
        Field::PlaybookCategory,
        Field::PlaybookStep,
    ];
    let expectations = (1..=slots).flat_map(|n| {
        ExpectationPart::ALL
            .into_iter()
            .map(move |p| Field::Expectation(n, p))
    });
    simple
        .into_iter()
        .chain(expectations)
        .map(|f| FieldOptionVm {
            value: f.name(),
            key: field_key(f),
            n: match f {
                Field::Expectation(n, _) => n,
                _ => 0,
            },
        })
        .collect()
}

async fn scenario_options(
    state: &AppState,
    me: &CurrentUser,
    lang: Lang,
) -> Result<Vec<ScenarioOptionVm>, StoreError> {
    let items = library::list(&state.db, &me.scope, &ScenarioFilter::default()).await?;
    Ok(items
        .iter()
        .map(|s| ScenarioOptionVm {
            id: s.id.to_string(),
            name: format!("{} — {}", s.slug, pair(lang, &s.title.vi, &s.title.en).0),
        })
        .collect())
}

async fn import_form(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let vm = ScenarioImportVm {
        scenarios: scenario_options(&state, &me, ctx.lang)
            .await
            .map_err(db_fail(&ctx))?,
        problems: Vec::new(),
    };
    Ok(render(
        &state,
        &ctx,
        "pages/scenario_import",
        "scenario-import-title",
        "scenarios",
        &vm,
    ))
}

/// Step 1: the file is kept for the mapping step, and the mapping page shows the
/// suggested mapping.
async fn import_file(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let parts = checked_parts(&ctx, &headers, multipart).await?;
    let Some(bytes) = parts.file else {
        let vm = ScenarioImportVm {
            scenarios: scenario_options(&state, &me, ctx.lang)
                .await
                .map_err(db_fail(&ctx))?,
            problems: vec![SheetProblemVm {
                place: whole_file(ctx.lang),
                message: pair(
                    ctx.lang,
                    "hãy chọn một tệp CSV hoặc XLSX để nhập",
                    "choose a CSV or XLSX file to import",
                )
                .0,
            }],
        };
        return Ok(render_status(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/scenario_import",
            "scenario-import-title",
            "scenarios",
            &vm,
        ));
    };
    let upload = library::stage_upload(&state.db, me.user.id, &parts.file_name, bytes)
        .await
        .map_err(db_fail(&ctx))?;
    let staged = library::upload(&state.db, me.user.id, upload)
        .await
        .map_err(db_fail(&ctx))?;
    mapping_page(
        &state,
        &ctx,
        &me,
        &staged,
        None,
        parts.scenario_id.trim(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// The mapping the planner chose on the mapping page: every column explicitly.
fn mapping_from_form(form: &FormData) -> ColumnMapping {
    let header_row = form
        .get("header_row")
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|r| *r >= 1);
    let shown_row = form.get("shown_header_row").trim().parse::<usize>().ok();
    // Column choices belong to the header row they were made for.
    if header_row != shown_row {
        return ColumnMapping {
            header_row,
            rules: Vec::new(),
        };
    }
    let mut rules: Vec<ColumnRule> = form
        .0
        .iter()
        .filter_map(|(k, v)| {
            let i = k.strip_prefix("col.")?.parse::<usize>().ok()?;
            Some(ColumnRule {
                column: ColumnRef::Position(i),
                field: Field::parse(v.trim()),
            })
        })
        .collect();
    rules.truncate(1_000);
    ColumnMapping { header_row, rules }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one page, many inputs; a struct would only rename them"
)]
async fn mapping_page(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    upload: &crate::entities::scenario_upload::Model,
    mapping: Option<&ColumnMapping>,
    scenario_id: &str,
    extra: Vec<SheetProblemVm>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let format = Format::detect(&upload.content);
    let scenarios = scenario_options(state, me, ctx.lang)
        .await
        .map_err(db_fail(ctx))?;
    let preview = match msel::preview(&upload.content, format, mapping) {
        Ok(p) => p,
        Err(problems) => {
            // The file itself cannot be read: back to step 1 with the reasons.
            let vm = ScenarioImportVm {
                scenarios,
                problems: sheet_problems(&problems, ctx.lang),
            };
            return Ok(render_status(
                state,
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/scenario_import",
                "scenario-import-title",
                "scenarios",
                &vm,
            ));
        }
    };
    let mut problems = sheet_problems(&preview.problems, ctx.lang);
    problems.extend(extra);
    let status = if problems.is_empty() {
        status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let vm = ScenarioMappingVm {
        upload_id: upload.id.to_string(),
        file_name: upload.file_name.clone(),
        sheet: preview.sheet.clone(),
        header_row: preview.header_row,
        columns: preview
            .headers
            .iter()
            .enumerate()
            .map(|(i, header)| ColumnVm {
                i,
                header: header.clone(),
                selected: preview
                    .fields
                    .get(i)
                    .copied()
                    .flatten()
                    .map(Field::name)
                    .unwrap_or_default(),
            })
            .collect(),
        fields: field_options(&preview.fields),
        rows: preview
            .rows
            .iter()
            .map(|(number, cells)| SampleRowVm {
                number: *number,
                cells: cells.iter().map(|c| c.chars().take(80).collect()).collect(),
            })
            .collect(),
        inject_rows: preview.inject_rows,
        has_metadata: preview.has_metadata,
        scenario_id: scenario_id.to_owned(),
        scenarios,
        problems,
    };
    Ok(render_status(
        state,
        ctx,
        status,
        "pages/scenario_mapping",
        "scenario-mapping-title",
        "scenarios",
        &vm,
    ))
}

/// Step 2: show the file again with the chosen mapping, or import it.
async fn import_mapped(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(upload): Path<String>,
    form: FormData,
) -> Result<Response, PageError> {
    let me = require_editor(&ctx)?;
    let upload_id: Uuid = parse_id(&ctx, &upload)?;
    let staged = library::upload(&state.db, me.user.id, upload_id)
        .await
        .map_err(db_fail(&ctx))?;
    let mapping = mapping_from_form(&form);
    let scenario_id = form.get("scenario_id").trim().to_owned();
    if form.get("action") != "import" {
        return mapping_page(
            &state,
            &ctx,
            &me,
            &staged,
            Some(&mapping),
            &scenario_id,
            Vec::new(),
            StatusCode::OK,
        )
        .await;
    }
    let metadata = match scenario_id.parse::<Uuid>() {
        Ok(id) => Some(
            library::get(&state.db, &me.scope, id)
                .await
                .map_err(db_fail(&ctx))?
                .scenario,
        ),
        Err(_) => None,
    };
    let options = ImportOptions {
        mapping: Some(&mapping),
        metadata: metadata.as_ref(),
        ..Default::default()
    };
    let scenario = match msel::import(&staged.content, Format::detect(&staged.content), &options) {
        Ok(s) => s,
        Err(problems) => {
            return mapping_page(
                &state,
                &ctx,
                &me,
                &staged,
                Some(&mapping),
                &scenario_id,
                sheet_problems(&problems, ctx.lang),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match library::save(
        &state.db,
        Owner::Org(me.user.org_id),
        &scenario,
        Some(me.user.id),
    )
    .await
    {
        Ok(saved) => {
            library::delete_upload(&state.db, staged.id)
                .await
                .map_err(db_fail(&ctx))?;
            Ok(Redirect::to(&format!("/scenarios/{}", saved.loaded.summary.id)).into_response())
        }
        Err(StoreError::Conflict { message, .. } | StoreError::Invalid { message, .. }) => {
            let problem = SheetProblemVm {
                place: whole_file(ctx.lang),
                message,
            };
            mapping_page(
                &state,
                &ctx,
                &me,
                &staged,
                Some(&mapping),
                &scenario_id,
                vec![problem],
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => Err(ctx.fail(e)),
    }
}
