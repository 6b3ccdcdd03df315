//! Drill pages: the list of drills and the four live consoles — responder (blue),
//! red team, controller (Ban tổ chức) and evaluator (Ban giám khảo).
//!
//! A console page is a server-rendered shell (headings, labelled forms, the drill's
//! systems and teams) plus an ES module from `web/static/js/` that talks to the JSON
//! API with the session cookie and `X-CSRF-Token`, and to the live WebSocket. The
//! module gets what it needs in one `data-boot` attribute (JSON, HTML-escaped by the
//! template like any other text), including its translated strings: the `js-*`
//! messages of `web/locales/*/console.ftl`. The API decides what each user may do;
//! the page only chooses which console fits the user.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::common::parse_id;
use super::{PageCtx, PageError, render};
use crate::auth::CurrentUser;
use crate::domain::{Role, Side};
use crate::error::AppError;
use crate::state::AppState;
use crate::store::drills::Drill;
use crate::store::{self, Page, Scope, StoreError};
use crate::time::{rfc3339_micros, vietnam_date};
use crate::views::Lang;
use crate::views::i18n;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/drills", get(list_drills))
        .route("/drills/{id}", get(open_drill))
        .route("/drills/{id}/{console}", get(show_console))
}

/// The four consoles, by the last segment of their path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Console {
    Respond,
    Red,
    Control,
    Evaluate,
}

impl Console {
    pub const ALL: [Console; 4] = [
        Console::Respond,
        Console::Red,
        Console::Control,
        Console::Evaluate,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Console::Respond => "respond",
            Console::Red => "red",
            Console::Control => "control",
            Console::Evaluate => "evaluate",
        }
    }

    fn parse(code: &str) -> Option<Console> {
        Console::ALL.into_iter().find(|c| c.code() == code)
    }

    /// May this user open this console of a drill where they are on `side` (if any)?
    /// Responders get the console of their side; staff get the control and
    /// evaluation consoles their role calls for (administrators all of them).
    fn allowed(self, role: Role, side: Option<Side>) -> bool {
        match self {
            Console::Respond => role == Role::Responder && side == Some(Side::Blue),
            Console::Red => role == Role::Responder && side == Some(Side::Red),
            Console::Control => matches!(role, Role::Admin | Role::Controller | Role::Observer),
            Console::Evaluate => matches!(role, Role::Admin | Role::Evaluator | Role::Controller),
        }
    }

    /// The console a user lands on from the drill list.
    fn default_for(role: Role, side: Option<Side>) -> Option<Console> {
        match (role, side) {
            (Role::Responder, Some(Side::Blue)) => Some(Console::Respond),
            (Role::Responder, Some(Side::Red)) => Some(Console::Red),
            (Role::Responder, None) => None,
            (Role::Evaluator, _) => Some(Console::Evaluate),
            _ => Some(Console::Control),
        }
    }
}

// ---------------------------------------------------------------- list

#[derive(Serialize)]
pub struct DrillRowVm {
    pub id: Uuid,
    pub title: String,
    pub status: String,
    pub kind: String,
    /// `internal`, `sector`, `national` or `international`.
    pub scale: String,
    pub scenario_slug: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub teams: usize,
}

#[derive(Serialize)]
pub struct DrillsVm {
    pub rows: Vec<DrillRowVm>,
    /// Administrators and controllers plan drills (`/drills/new`).
    pub can_plan: bool,
}

async fn list_drills(State(state): State<AppState>, ctx: PageCtx) -> Result<Response, PageError> {
    let me = ctx.require_user()?;
    // Every drill in scope, newest plans first; an organisation runs a handful a year.
    let mut drills = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = store::drills::list(
            &state.db,
            &me.scope,
            None,
            Page {
                after,
                limit: Page::MAX_LIMIT,
            },
        )
        .await
        .map_err(|e| ctx.fail(e))?;
        drills.extend(page);
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    drills.sort_by_key(|d| std::cmp::Reverse(d.created_at));
    let rows = drills
        .into_iter()
        .map(|d| DrillRowVm {
            id: d.id,
            title: d.title,
            status: d.status.code().to_owned(),
            kind: d.kind.code().to_owned(),
            scale: d.scale.code().to_owned(),
            scenario_slug: d.scenario_slug,
            started_at: d.started_at.map(rfc3339_micros),
            ended_at: d.ended_at.map(rfc3339_micros),
            teams: d.teams.len(),
        })
        .collect();
    Ok(render(
        &state,
        &ctx,
        "pages/drills",
        "drills-title",
        "drills",
        &DrillsVm {
            rows,
            can_plan: matches!(me.role(), Role::Admin | Role::Controller),
        },
    ))
}

// ---------------------------------------------------------------- consoles

/// Where a user stands in a drill: their drill team and its side, if any.
async fn standing(
    state: &AppState,
    me: &CurrentUser,
    drill: &Drill,
) -> Result<Option<(Uuid, Side)>, StoreError> {
    if me.role() != Role::Responder {
        return Ok(None);
    }
    Ok(
        store::drills::teams_of_user(&state.db, drill.id, me.user.id)
            .await?
            .into_iter()
            .next(),
    )
}

async fn open_drill(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?;
    let id = parse_id(&ctx, &id)?;
    let drill = store::drills::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let side = standing(&state, me, &drill)
        .await
        .map_err(|e| ctx.fail(e))?
        .map(|t| t.1);
    match Console::default_for(me.role(), side) {
        Some(c) => Ok(Redirect::to(&format!("/drills/{id}/{}", c.code())).into_response()),
        // A responder who is in none of the drill's teams has nothing to do here.
        None => Err(ctx.fail(AppError::Forbidden)),
    }
}

#[derive(Serialize, Clone)]
pub struct NamedVm {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, Clone)]
pub struct TeamVm {
    pub id: Uuid,
    pub name: String,
    pub side: String,
}

#[derive(Serialize)]
pub struct ConsoleVm {
    pub console: Console,
    pub drill_id: Uuid,
    pub title: String,
    pub status: String,
    pub kind: String,
    pub scenario_slug: String,
    /// The user's drill team, for responders.
    pub team_name: Option<String>,
    pub systems: Vec<NamedVm>,
    pub teams: Vec<TeamVm>,
    /// Other consoles of this drill the user may open.
    pub others: Vec<Console>,
    /// Controllers (and administrators) run the drill; observers only watch.
    pub may_control: bool,
    /// The speeds offered to the controller (drill seconds per second).
    pub speeds: Vec<String>,
    /// JSON for the console's script.
    pub boot: String,
}

async fn show_console(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, console)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let me = ctx.require_user()?;
    let id = parse_id(&ctx, &id)?;
    let console = Console::parse(&console).ok_or_else(|| ctx.fail(AppError::NotFound))?;
    let drill = store::drills::get(&state.db, &me.scope, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let team = standing(&state, me, &drill)
        .await
        .map_err(|e| ctx.fail(e))?;
    let side = team.map(|t| t.1);
    if !console.allowed(me.role(), side) {
        return Err(ctx.fail(AppError::Forbidden));
    }
    let vm = console_vm(&state, &ctx, me, &drill, console, team)
        .await
        .map_err(|e| ctx.fail(e))?;
    let title = format!("console-{}-title", console.code());
    Ok(render(
        &state,
        &ctx,
        &format!("pages/console_{}", console.code()),
        &title,
        "drills",
        &vm,
    ))
}

async fn console_vm(
    state: &AppState,
    ctx: &PageCtx,
    me: &CurrentUser,
    drill: &Drill,
    console: Console,
    team: Option<(Uuid, Side)>,
) -> Result<ConsoleVm, StoreError> {
    let today = vietnam_date(Utc::now());
    // Names of the drill's own teams and systems: a participant may know who and
    // what takes part, even where the registry would not show them the records.
    let mut teams = Vec::new();
    for t in &drill.teams {
        match store::teams::get(&state.db, &Scope::All, t.team_id, today).await {
            Ok(found) => teams.push(TeamVm {
                id: found.id,
                name: found.name,
                side: t.side.code().to_owned(),
            }),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let mut systems = Vec::new();
    for s in &drill.system_ids {
        match store::systems::get(&state.db, &Scope::All, *s).await {
            Ok(found) => systems.push(NamedVm {
                id: found.id,
                name: found.name,
            }),
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let now = Utc::now();
    let elapsed_ms = store::drills::clock(&state.db, drill.id)
        .await?
        .elapsed_ms(now);
    let team_name =
        team.and_then(|(tid, _)| teams.iter().find(|t| t.id == tid).map(|t| t.name.clone()));
    let side = team.map(|t| t.1);
    let others = Console::ALL
        .into_iter()
        .filter(|c| *c != console && c.allowed(me.role(), side))
        .collect();
    let may_control = matches!(me.role(), Role::Admin | Role::Controller);
    let boot = json!({
        "console": console,
        "drill": drill,
        "me": {
            "user_id": me.user.id,
            "role": me.role(),
            "team_id": team.map(|t| t.0),
            "side": side,
        },
        "may_control": may_control,
        "elapsed_ms": elapsed_ms,
        "server_now": rfc3339_micros(now),
        "lang": ctx.lang,
        "teams": teams.iter().map(|t| (t.id.to_string(), json!({"name": t.name, "side": t.side}))).collect::<BTreeMap<_, _>>(),
        "systems": systems.iter().map(|s| (s.id.to_string(), Value::String(s.name.clone()))).collect::<BTreeMap<_, _>>(),
        "t": script_messages(ctx.lang),
    });
    Ok(ConsoleVm {
        console,
        drill_id: drill.id,
        title: drill.title.clone(),
        status: drill.status.code().to_owned(),
        kind: drill.kind.code().to_owned(),
        scenario_slug: drill.scenario_slug.clone(),
        team_name,
        systems,
        teams,
        others,
        may_control,
        speeds: ["0.5", "1", "2", "5", "10", "60"]
            .into_iter()
            .map(str::to_owned)
            .collect(),
        boot: boot.to_string(),
    })
}

/// The consoles' script messages (`js-*` in `console.ftl`), keyed without the
/// prefix. The list is read from the English file at compile time, so a message added
/// there reaches the scripts without another list to keep; the key parity test keeps
/// Vietnamese in step.
fn script_messages(lang: Lang) -> BTreeMap<&'static str, String> {
    const SOURCE: &str = include_str!("../../../web/locales/en/console.ftl");
    SOURCE
        .lines()
        .filter_map(|line| line.split_once(" = ").map(|(id, _)| id.trim()))
        .filter_map(|id| id.strip_prefix("js-").map(|short| (short, id)))
        .map(|(short, id)| (short, i18n::t(lang, id)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responders_get_the_console_of_their_side_and_staff_the_staff_consoles() {
        use Console::*;
        assert!(Respond.allowed(Role::Responder, Some(Side::Blue)));
        assert!(!Respond.allowed(Role::Responder, Some(Side::Red)));
        assert!(!Red.allowed(Role::Responder, Some(Side::Blue)));
        assert!(!Control.allowed(Role::Responder, Some(Side::Blue)));
        assert!(!Evaluate.allowed(Role::Responder, Some(Side::Red)));
        assert!(Control.allowed(Role::Observer, None));
        assert!(!Evaluate.allowed(Role::Observer, None));
        assert!(Evaluate.allowed(Role::Evaluator, None));
        assert!(!Control.allowed(Role::Evaluator, None));
        assert_eq!(Console::default_for(Role::Responder, None), None);
        assert_eq!(
            Console::default_for(Role::Evaluator, None),
            Some(Console::Evaluate)
        );
    }

    #[test]
    fn every_script_message_is_translated_in_both_languages() {
        for lang in [Lang::Vi, Lang::En] {
            let messages = script_messages(lang);
            assert!(messages.len() > 20, "{} messages", messages.len());
            for (key, text) in messages {
                assert!(!text.starts_with("js-"), "{key} has no {lang:?} text");
            }
        }
    }
}
