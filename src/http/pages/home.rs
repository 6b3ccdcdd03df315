//! The home page: per organisation, the counts an inspector asks about first.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;
use uuid::Uuid;

use super::{PageCtx, render};
use crate::domain::Side;
use crate::state::AppState;
use crate::store;
use crate::store::systems::System;
use crate::store::teams::Team;
use crate::time::vietnam_date;

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Serialize, Default, Clone)]
pub struct OrgSummary {
    pub org_id: Option<Uuid>,
    pub org_name: String,
    /// Systems of level 1 to 5, in order.
    pub systems_by_level: [usize; 5],
    pub systems_total: usize,
    pub level3_plus: usize,
    /// Level 3+ systems without a current (non-stale) playbook.
    pub lacking_playbook: Vec<NamedId>,
    pub stale_playbooks: usize,
    pub teams_total: usize,
    pub teams_below_minimum: Vec<NamedId>,
}

#[derive(Serialize, Clone)]
pub struct NamedId {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize)]
pub struct HomeVm {
    pub orgs: Vec<OrgSummary>,
    pub totals: OrgSummary,
}

/// Builds the dashboard from the systems and teams in scope (pure, for tests).
pub fn summarise(org_names: &BTreeMap<Uuid, String>, systems: &[System], teams: &[Team]) -> HomeVm {
    let mut by_org: BTreeMap<Uuid, OrgSummary> = BTreeMap::new();
    let mut totals = OrgSummary::default();
    for s in systems {
        let o = by_org.entry(s.org_id).or_insert_with(|| OrgSummary {
            org_id: Some(s.org_id),
            org_name: org_names.get(&s.org_id).cloned().unwrap_or_default(),
            ..Default::default()
        });
        for summary in [&mut *o, &mut totals] {
            summary.systems_total += 1;
            summary.systems_by_level[usize::from(s.level.get() - 1)] += 1;
            if s.level.needs_live_fire_drill() {
                summary.level3_plus += 1;
            }
            if s.lacks_current_playbook() {
                summary.lacking_playbook.push(NamedId {
                    id: s.id,
                    name: s.name.clone(),
                });
            }
            summary.stale_playbooks += s.playbooks.iter().filter(|p| p.stale).count();
        }
    }
    for t in teams {
        let o = by_org.entry(t.org_id).or_insert_with(|| OrgSummary {
            org_id: Some(t.org_id),
            org_name: org_names.get(&t.org_id).cloned().unwrap_or_default(),
            ..Default::default()
        });
        for summary in [&mut *o, &mut totals] {
            summary.teams_total += 1;
            // The minimum of five experts applies to response (blue) teams.
            if t.side == Side::Blue && !t.meets_minimum_experts {
                summary.teams_below_minimum.push(NamedId {
                    id: t.id,
                    name: t.name.clone(),
                });
            }
        }
    }
    let mut orgs: Vec<OrgSummary> = by_org.into_values().collect();
    orgs.sort_by(|a, b| a.org_name.cmp(&b.org_name));
    HomeVm { orgs, totals }
}

async fn home(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let me = match ctx.require_user() {
        Ok(me) => me.clone(),
        Err(e) => return e.into_response(),
    };
    let today = vietnam_date(Utc::now());
    let loaded = async {
        let names = store::orgs::names(&state.db).await?;
        let systems = store::systems::all_in_scope(&state.db, &me.scope).await?;
        let teams = store::teams::all_in_scope(&state.db, &me.scope, today).await?;
        Ok::<_, store::StoreError>((
            names.into_iter().collect::<BTreeMap<_, _>>(),
            systems,
            teams,
        ))
    }
    .await;
    match loaded {
        Ok((names, systems, teams)) => render(
            &state,
            &ctx,
            "pages/home",
            "home-title",
            "home",
            &summarise(&names, &systems, &teams),
        ),
        Err(e) => ctx.fail(e).into_response(),
    }
}
