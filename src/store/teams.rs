//! Response teams (đội ứng cứu sự cố) and their members.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Page, Scope, StoreError, from_code, from_json, paginate, to_json};
use crate::domain::registry::{
    Certificate, Contact, MINIMUM_QUALIFIED_EXPERTS, MemberDraft, TeamDraft, is_qualified_expert,
};
use crate::domain::{DegreeLevel, Employment, ExpertGroup, FieldOfStudy, Side};
use crate::entities::{org, team, team_member, user};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub side: Side,
    pub description: String,
    pub contact_primary: Option<Contact>,
    pub contact_backup: Option<Contact>,
    pub is_24x7: bool,
    pub established_decision_no: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub member_count: usize,
    pub outsourced_members: usize,
    /// Members in at least one expert group with an unexpired certificate.
    pub qualified_experts: usize,
    /// `qualified_experts >= 5` (Directive 18/CT-TTg §1.c).
    pub meets_minimum_experts: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Team {
    pub fn to_draft(&self) -> TeamDraft {
        TeamDraft {
            org_id: Some(self.org_id),
            name: self.name.clone(),
            side: self.side,
            description: self.description.clone(),
            contact_primary: self.contact_primary.clone(),
            contact_backup: self.contact_backup.clone(),
            is_24x7: self.is_24x7,
            established_decision_no: self.established_decision_no.clone(),
            established_on: self.established_on,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub id: Uuid,
    pub team_id: Uuid,
    pub full_name: String,
    pub title: String,
    pub user_id: Option<Uuid>,
    pub employment: Employment,
    pub field_of_study: Option<FieldOfStudy>,
    pub degree_level: Option<DegreeLevel>,
    pub expert_groups: Vec<ExpertGroup>,
    pub skills: Vec<String>,
    pub certificates: Vec<Certificate>,
    /// Counts towards the minimum of five qualified experts.
    pub qualified: bool,
}

impl Member {
    pub fn to_draft(&self) -> MemberDraft {
        MemberDraft {
            full_name: self.full_name.clone(),
            title: self.title.clone(),
            user_id: self.user_id,
            employment: self.employment,
            field_of_study: self.field_of_study,
            degree_level: self.degree_level,
            expert_groups: self.expert_groups.clone(),
            skills: self.skills.clone(),
            certificates: self.certificates.clone(),
        }
    }
}

fn member_from_model(m: team_member::Model, today: NaiveDate) -> Result<Member, sea_orm::DbErr> {
    let expert_groups: Vec<ExpertGroup> = from_json(&m.expert_groups)?;
    let certificates: Vec<Certificate> = from_json(&m.certificates)?;
    Ok(Member {
        qualified: is_qualified_expert(&expert_groups, &certificates, today),
        id: m.id,
        team_id: m.team_id,
        full_name: m.full_name,
        title: m.title,
        user_id: m.user_id,
        employment: from_code(&m.employment)?,
        field_of_study: m.field_of_study.as_deref().map(from_code).transpose()?,
        degree_level: m.degree_level.as_deref().map(from_code).transpose()?,
        expert_groups,
        skills: from_json(&m.skills)?,
        certificates,
    })
}

fn team_from_model(m: team::Model, members: &[Member]) -> Result<Team, sea_orm::DbErr> {
    let qualified = members.iter().filter(|x| x.qualified).count();
    Ok(Team {
        id: m.id,
        org_id: m.org_id,
        name: m.name,
        side: from_code(&m.side)?,
        description: m.description,
        contact_primary: m.contact_primary.as_ref().map(from_json).transpose()?,
        contact_backup: m.contact_backup.as_ref().map(from_json).transpose()?,
        is_24x7: m.is_24x7,
        established_decision_no: m.established_decision_no,
        established_on: m.established_on,
        member_count: members.len(),
        outsourced_members: members
            .iter()
            .filter(|x| x.employment == Employment::Outsourced)
            .count(),
        qualified_experts: qualified,
        meets_minimum_experts: qualified >= MINIMUM_QUALIFIED_EXPERTS,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

async fn members_of(
    db: &impl ConnectionTrait,
    team_ids: Vec<Uuid>,
    today: NaiveDate,
) -> Result<HashMap<Uuid, Vec<Member>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<Member>> = HashMap::new();
    if team_ids.is_empty() {
        return Ok(out);
    }
    let rows = team_member::Entity::find()
        .filter(team_member::Column::TeamId.is_in(team_ids))
        .order_by_asc(team_member::Column::Id)
        .all(db)
        .await?;
    for r in rows {
        let m = member_from_model(r, today)?;
        out.entry(m.team_id).or_default().push(m);
    }
    Ok(out)
}

async fn hydrate(
    db: &impl ConnectionTrait,
    rows: Vec<team::Model>,
    today: NaiveDate,
) -> Result<Vec<Team>, StoreError> {
    let members = members_of(db, rows.iter().map(|t| t.id).collect(), today).await?;
    rows.into_iter()
        .map(|t| {
            let ms = members.get(&t.id).map(Vec::as_slice).unwrap_or_default();
            team_from_model(t, ms).map_err(StoreError::from)
        })
        .collect()
}

fn scoped(scope: &Scope) -> sea_orm::Select<team::Entity> {
    let q = team::Entity::find();
    match scope {
        Scope::All => q,
        Scope::Orgs(ids) => q.filter(team::Column::OrgId.is_in(ids.clone())),
    }
}

#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    pub org_id: Option<Uuid>,
    pub side: Option<Side>,
    /// Only teams below the minimum of five qualified experts.
    pub below_minimum: bool,
    pub q: Option<String>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &TeamFilter,
    page: Page,
    today: NaiveDate,
) -> Result<(Vec<Team>, Option<Uuid>), StoreError> {
    let mut q = scoped(scope);
    if let Some(org) = filter.org_id {
        q = q.filter(team::Column::OrgId.eq(org));
    }
    if let Some(side) = filter.side {
        q = q.filter(team::Column::Side.eq(side.code()));
    }
    if filter.below_minimum || filter.q.is_some() {
        let all = hydrate(db, q.clone().all(db).await?, today).await?;
        let needle = filter.q.as_ref().map(|s| s.to_lowercase());
        let ids: Vec<Uuid> = all
            .iter()
            .filter(|t| !filter.below_minimum || !t.meets_minimum_experts)
            .filter(|t| {
                needle
                    .as_ref()
                    .is_none_or(|n| t.name.to_lowercase().contains(n))
            })
            .map(|t| t.id)
            .collect();
        q = q.filter(team::Column::Id.is_in(ids));
    }
    if let Some(after) = page.after {
        q = q.filter(team::Column::Id.gt(after));
    }
    let rows = q
        .order_by_asc(team::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    let (rows, next) = paginate(rows, page.limit, |r| r.id);
    Ok((hydrate(db, rows, today).await?, next))
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    today: NaiveDate,
) -> Result<Team, StoreError> {
    let row = scoped(scope)
        .filter(team::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    hydrate(db, vec![row], today)
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

pub async fn all_in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
) -> Result<Vec<Team>, StoreError> {
    let rows = scoped(scope)
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?;
    hydrate(db, rows, today).await
}

const DUPLICATE_NAME: &str = "a team with this name already exists in this organisation";

async fn check_team_refs(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_id: Uuid,
    name: &str,
    exclude: Option<Uuid>,
) -> Result<(), StoreError> {
    if !scope.allows(org_id) || org::Entity::find_by_id(org_id).one(db).await?.is_none() {
        return Err(StoreError::Invalid {
            field: "org_id",
            message: "no such organisation".into(),
        });
    }
    let mut dup = team::Entity::find()
        .filter(team::Column::OrgId.eq(org_id))
        .filter(team::Column::Name.eq(name));
    if let Some(id) = exclude {
        dup = dup.filter(team::Column::Id.ne(id));
    }
    if dup.one(db).await?.is_some() {
        return Err(StoreError::Conflict {
            field: "name",
            message: DUPLICATE_NAME.into(),
        });
    }
    Ok(())
}

fn write_team(active: &mut team::ActiveModel, d: &TeamDraft) {
    active.name = Set(d.name.clone());
    active.side = Set(d.side.code().to_owned());
    active.description = Set(d.description.clone());
    active.contact_primary = Set(d.contact_primary.as_ref().map(to_json));
    active.contact_backup = Set(d.contact_backup.as_ref().map(to_json));
    active.is_24x7 = Set(d.is_24x7);
    active.established_decision_no = Set(d.established_decision_no.clone());
    active.established_on = Set(d.established_on);
}

pub async fn create(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_id: Uuid,
    draft: &TeamDraft,
) -> Result<Team, StoreError> {
    check_team_refs(db, scope, org_id, &draft.name, None).await?;
    let now = Utc::now();
    let mut active = team::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    write_team(&mut active, draft);
    let m = active
        .insert(db)
        .await
        .map_err(|e| StoreError::unique_as(e, "name", DUPLICATE_NAME))?;
    Ok(team_from_model(m, &[])?)
}

pub async fn update(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
    draft: &TeamDraft,
    today: NaiveDate,
) -> Result<Team, StoreError> {
    let current = scoped(scope)
        .filter(team::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    check_team_refs(db, scope, current.org_id, &draft.name, Some(id)).await?;
    let mut active: team::ActiveModel = current.into();
    write_team(&mut active, draft);
    active.updated_at = Set(Utc::now());
    active
        .update(db)
        .await
        .map_err(|e| StoreError::unique_as(e, "name", DUPLICATE_NAME))?;
    get(db, scope, id, today).await
}

// ------------------------------------------------------------ members

pub async fn members(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Member>, StoreError> {
    scoped(scope)
        .filter(team::Column::Id.eq(team_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(members_of(db, vec![team_id], today)
        .await?
        .remove(&team_id)
        .unwrap_or_default())
}

/// A linked user account must belong to the team's organisation.
async fn check_member_user(
    db: &impl ConnectionTrait,
    team_org: Uuid,
    user_id: Option<Uuid>,
) -> Result<(), StoreError> {
    if let Some(uid) = user_id {
        let ok = user::Entity::find_by_id(uid)
            .one(db)
            .await?
            .is_some_and(|u| u.org_id == team_org);
        if !ok {
            return Err(StoreError::Invalid {
                field: "user_id",
                message: "no such user in the team's organisation".into(),
            });
        }
    }
    Ok(())
}

fn write_member(active: &mut team_member::ActiveModel, d: &MemberDraft) {
    active.full_name = Set(d.full_name.clone());
    active.title = Set(d.title.clone());
    active.user_id = Set(d.user_id);
    active.employment = Set(d.employment.code().to_owned());
    active.field_of_study = Set(d.field_of_study.map(|f| f.code().to_owned()));
    active.degree_level = Set(d.degree_level.map(|f| f.code().to_owned()));
    active.expert_groups = Set(to_json(&d.expert_groups));
    active.skills = Set(to_json(&d.skills));
    active.certificates = Set(to_json(&d.certificates));
}

pub async fn add_member(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    draft: &MemberDraft,
    today: NaiveDate,
) -> Result<Member, StoreError> {
    let team = scoped(scope)
        .filter(team::Column::Id.eq(team_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    check_member_user(db, team.org_id, draft.user_id).await?;
    let now = Utc::now();
    let mut active = team_member::ActiveModel {
        id: Set(Uuid::now_v7()),
        team_id: Set(team_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    write_member(&mut active, draft);
    Ok(member_from_model(active.insert(db).await?, today)?)
}

async fn find_member(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    member_id: Uuid,
) -> Result<(team::Model, team_member::Model), StoreError> {
    let team = scoped(scope)
        .filter(team::Column::Id.eq(team_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let member = team_member::Entity::find_by_id(member_id)
        .one(db)
        .await?
        .filter(|m| m.team_id == team_id)
        .ok_or(StoreError::NotFound)?;
    Ok((team, member))
}

pub async fn get_member(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    member_id: Uuid,
    today: NaiveDate,
) -> Result<Member, StoreError> {
    let (_, m) = find_member(db, scope, team_id, member_id).await?;
    Ok(member_from_model(m, today)?)
}

pub async fn update_member(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    member_id: Uuid,
    draft: &MemberDraft,
    today: NaiveDate,
) -> Result<Member, StoreError> {
    let (team, member) = find_member(db, scope, team_id, member_id).await?;
    check_member_user(db, team.org_id, draft.user_id).await?;
    let mut active: team_member::ActiveModel = member.into();
    write_member(&mut active, draft);
    active.updated_at = Set(Utc::now());
    Ok(member_from_model(active.update(db).await?, today)?)
}

pub async fn delete_member(
    db: &impl ConnectionTrait,
    scope: &Scope,
    team_id: Uuid,
    member_id: Uuid,
) -> Result<(), StoreError> {
    let (_, member) = find_member(db, scope, team_id, member_id).await?;
    team_member::Entity::delete_by_id(member.id)
        .exec(db)
        .await?;
    Ok(())
}

/// True when the user is linked to a member of the team.
pub async fn is_member(
    db: &impl ConnectionTrait,
    team_id: Uuid,
    user_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .is_some())
}
