//! Rules for interests: who may express, see, change and move them through the pipeline.

use super::events;
use super::{AppState, Expected, fresh, replace};
use crate::domain::access::Caller;
use crate::domain::codes::ListingStatus;
use crate::domain::events::Audience;
use crate::domain::ids::{EventId, InterestId, OpportunityId};
use crate::domain::interests::{
    EventKind, Interest, InterestChanges, InterestData, InterestEvent, NewInterest,
};
use crate::domain::interests::{InterestFilter, InterestSort};
use crate::domain::page::PageRequest;
use crate::domain::stages::{MoveError, Stage};
use crate::error::{AppError, FieldError};
use crate::persistence::interests as store;
use crate::persistence::{self, DbConnection, opportunities, parties, people};

/// Who may see an interest: officers, and investors whose party leads or co-invests.
fn visible(caller: &Caller, interest: &InterestData) -> bool {
    caller.is_staff()
        || caller
            .investor_party()
            .is_some_and(|p| interest.involves(p))
}

fn event(
    interest: &Interest,
    caller: &Caller,
    kind: EventKind,
    details: serde_json::Value,
) -> InterestEvent {
    InterestEvent {
        id: EventId::generate(),
        interest_id: interest.id.clone(),
        kind,
        from_stage: None,
        to_stage: None,
        seconds_in_stage: None,
        reason: None,
        details,
        actor_key_id: caller.key_id().cloned(),
        actor_role: caller.role(),
        occurred_at: interest.updated_at,
    }
}

/// An interest event: for officers and the parties involved.
fn interest_event(
    kind: &'static str,
    interest: &Interest,
    data: serde_json::Value,
) -> crate::domain::events::NewEvent {
    let mut parties = vec![interest.data.party_id.clone()];
    parties.extend(interest.data.co_investor_ids.iter().cloned());
    let mut data = data;
    data["id"] = serde_json::json!(interest.id);
    data["opportunityId"] = serde_json::json!(interest.data.opportunity_id);
    data["partyId"] = serde_json::json!(interest.data.party_id);
    events::event(kind, &interest.id, Audience::Parties(parties), data)
}

/// What the interest is checked against, if the caller may see the opportunity and it is open for
/// interest.
fn open_opportunity(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OpportunityId,
) -> Result<opportunities::Intake, AppError> {
    let intake = opportunities::intake(conn, id)?
        .filter(|o| caller.is_staff() || o.status.is_public())
        .ok_or(AppError::NotFound)?;
    if intake.status != ListingStatus::Published {
        return Err(AppError::conflict(
            "opportunityNotOpen",
            format!(
                "The opportunity is {}; only published opportunities take expressions of interest.",
                intake.status
            ),
        ));
    }
    if let Some(deadline) = intake.eoi_deadline
        && persistence::now().date() > deadline
    {
        return Err(AppError::conflict(
            "eoiDeadlinePassed",
            format!("The deadline for expressions of interest was {deadline}."),
        ));
    }
    Ok(intake)
}

fn check_parties(conn: &mut DbConnection, data: &InterestData) -> Result<(), AppError> {
    let mut problems = Vec::new();
    for (i, party) in data.co_investor_ids.iter().enumerate() {
        if *party == data.party_id {
            problems.push(FieldError::new(
                format!("/coInvestorIds/{i}"),
                "is the lead party",
            ));
        } else if !parties::exists(conn, party)? {
            problems.push(FieldError::new(
                format!("/coInvestorIds/{i}"),
                "no party has this id",
            ));
        }
    }
    if let Some(person) = &data.contact_person_id {
        match people::get(conn, person)? {
            None => problems.push(FieldError::new("/contactPersonId", "no person has this id")),
            Some(p) if !data.involves(&p.data.party_id) => problems.push(FieldError::new(
                "/contactPersonId",
                "must be a person of the lead party or of a co-investor",
            )),
            Some(_) => {}
        }
    }
    if let Some(person) = &data.assignee_id
        && !people::exists(conn, person)?
    {
        problems.push(FieldError::new("/assigneeId", "no person has this id"));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(problems))
    }
}

/// Records an expression of interest: an investor's for its own party, or an officer's on a
/// party's behalf.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    opportunity_id: OpportunityId,
    new: NewInterest,
) -> Result<Interest, AppError> {
    caller.require_key()?;
    let party_id = match (caller.investor_party(), new.party_id.clone()) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid_field(
                "/partyId",
                "is implied by your key; do not send it",
            ));
        }
        (Some(own), None) => own.clone(),
        (None, Some(party)) if caller.is_staff() => party,
        (None, None) if caller.is_staff() => {
            return Err(AppError::invalid_field(
                "/partyId",
                "is required when an officer records an interest",
            ));
        }
        _ => {
            return Err(AppError::Forbidden(
                "This key may not express interest.".into(),
            ));
        }
    };
    let caller = caller.clone();
    state
        .db
        .write(move |conn| {
                let opportunity = open_opportunity(conn, &caller, &opportunity_id)?;
                if !opportunity.engagement_models.contains(&new.engagement_model) {
                    let offered: Vec<&str> = opportunity.engagement_models.iter().map(|m| m.as_str()).collect();
                    return Err(AppError::invalid_field(
                        "/engagementModel",
                        format!("this opportunity offers {}", offered.join(", ")),
                    ));
                }
                if !parties::exists(conn, &party_id)? {
                    return Err(AppError::invalid_field("/partyId", "no party has this id"));
                }
                let now = persistence::now();
                let data = InterestData {
                    opportunity_id,
                    party_id,
                    engagement_model: new.engagement_model,
                    message: new.message,
                    indicative_amount: new.indicative_amount,
                    co_investor_ids: new.co_investor_ids,
                    contact_person_id: new.contact_person_id,
                    assignee_id: None,
                    notes: None,
                    probability_override: None,
                    stage: Stage::Expressed,
                    held_stage: None,
                    furthest_stage: Stage::Expressed,
                    stage_changed_at: now,
                };
                check_parties(conn, &data)?;
                let interest = fresh(InterestId::generate(), data);
                match store::insert(conn, &interest) {
                    Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                        return Err(AppError::conflict(
                            "duplicateInterest",
                            "This party already has an active interest in this opportunity; update or withdraw that one.",
                        ));
                    }
                    other => other?,
                }
                let details = serde_json::json!({
                    "engagementModel": interest.data.engagement_model.as_str(),
                    "stage": Stage::Expressed.as_str(),
                });
                let mut created = event(&interest, &caller, EventKind::Created, details);
                created.to_stage = Some(Stage::Expressed);
                store::append_event(conn, &created)?;
                events::record(
                    conn,
                    interest_event("interest.created", &interest, serde_json::json!({"stage": "expressed", "engagementModel": interest.data.engagement_model})),
                )?;
                Ok(interest)
        })
        .await
}

pub async fn get(state: &AppState, caller: &Caller, id: InterestId) -> Result<Interest, AppError> {
    caller.require_key()?;
    let caller = caller.clone();
    state
        .db
        .run(move |conn| {
            store::get(conn, &id)?
                .filter(|i| visible(&caller, &i.data))
                .ok_or(AppError::NotFound)
        })
        .await
}

/// Lists interests; an investor's list never reaches beyond its own party's, whatever the filters.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    mut filter: InterestFilter,
    page: PageRequest<InterestSort>,
    with_total: bool,
) -> Result<(Vec<Interest>, Option<i64>), AppError> {
    caller.require_key()?;
    if !caller.is_staff() {
        filter.involving = Some(caller.investor_party().cloned().ok_or(AppError::Forbidden(
            "This key may not list interests.".into(),
        ))?);
    }
    let caller = caller.clone();
    state
        .db
        .run(move |conn| {
            if let Some(opportunity) = &filter.opportunity_id
                && opportunities::get(conn, opportunity)?
                    .filter(|o| caller.is_staff() || o.data.status.is_public())
                    .is_none()
            {
                return Err(AppError::NotFound);
            }
            let items = store::list(conn, &filter, &page)?;
            let total = if with_total {
                Some(store::count(conn, &filter)?)
            } else {
                None
            };
            Ok((items, total))
        })
        .await
}

/// Applies an officer's changes (assignee, probability, amount, notes) and records each in the
/// timeline. The stage never changes here.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: InterestId,
    expected: Expected,
    build: impl FnOnce(&Interest) -> Result<InterestChanges, AppError> + Send + 'static,
) -> Result<Interest, AppError> {
    caller.require_staff()?;
    let caller = caller.clone();
    state
        .db
        .write(move |conn| {
                let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
                let before = current.data.clone();
                let next = replace(
                    conn,
                    current,
                    &expected,
                    |current| {
                        let changes = build(current)?;
                        Ok(InterestData {
                            assignee_id: changes.assignee_id,
                            probability_override: changes.probability_override,
                            indicative_amount: changes.indicative_amount,
                            notes: changes.notes,
                            ..current.data.clone()
                        })
                    },
                    check_parties,
                    store::update,
                )?;
                let after = &next.data;
                let change = |from: serde_json::Value, to: serde_json::Value| serde_json::json!({"from": from, "to": to});
                let money = |m: &Option<crate::domain::money::Money>| {
                    m.as_ref().map_or(serde_json::Value::Null, |m| serde_json::json!({"amount": m.amount(), "currency": m.currency().as_str()}))
                };
                let mut changed = Vec::new();
                if before.assignee_id != after.assignee_id {
                    changed.push((EventKind::Assigned, change(serde_json::json!(before.assignee_id), serde_json::json!(after.assignee_id))));
                }
                if before.indicative_amount != after.indicative_amount {
                    changed.push((EventKind::AmountChanged, change(money(&before.indicative_amount), money(&after.indicative_amount))));
                }
                if before.probability() != after.probability() || before.probability_override != after.probability_override {
                    changed.push((EventKind::ProbabilityChanged, change(serde_json::json!(before.probability()), serde_json::json!(after.probability()))));
                }
                if before.notes != after.notes {
                    changed.push((EventKind::NotesChanged, serde_json::json!({})));
                }
                let public_changes: Vec<&str> = changed.iter().filter(|(k, _)| !k.is_internal()).map(|(k, _)| k.as_str()).collect();
                if !public_changes.is_empty() {
                    events::record(conn, interest_event("interest.updated", &next, serde_json::json!({"changes": public_changes})))?;
                }
                for (kind, details) in changed {
                    store::append_event(conn, &event(&next, &caller, kind, details))?;
                }
                Ok(next)
        })
        .await
}

/// Moves an interest to another stage. Officers make every legal move; an investor may only
/// withdraw an interest its party leads.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: InterestId,
    expected: Expected,
    to: Stage,
    reason: Option<String>,
) -> Result<Interest, AppError> {
    caller.require_key()?;
    let caller = caller.clone();
    state
        .db
        .write(move |conn| {
            let current = store::get(conn, &id)?
                .filter(|i| visible(&caller, &i.data))
                .ok_or(AppError::NotFound)?;
            if !caller.is_staff()
                && (to != Stage::Withdrawn
                    || caller.investor_party() != Some(&current.data.party_id))
            {
                return Err(AppError::Forbidden(
                    "An investor may only withdraw an interest its own party leads.".into(),
                ));
            }
            expected.check(current.version)?;
            let from = current.data.stage;
            match from.check_move(to, current.data.held_stage, reason.is_some()) {
                Ok(()) => {}
                Err(MoveError::Illegal { allowed }) => {
                    let names: Vec<String> =
                        allowed.iter().map(|s| s.as_str().to_owned()).collect();
                    return Err(AppError::IllegalTransition {
                        detail: format!(
                            "An interest cannot move from {from} to {to}; allowed: {}.",
                            if names.is_empty() {
                                "none (final stage)".to_owned()
                            } else {
                                names.join(", ")
                            }
                        ),
                        allowed: names,
                    });
                }
                Err(MoveError::ReasonRequired) => {
                    return Err(AppError::invalid_field(
                        "/reason",
                        format!("a move from {from} to {to} needs a reason"),
                    ));
                }
            }
            let now = persistence::now();
            let seconds = (now - current.data.stage_changed_at).num_seconds();
            let mut next = current.clone();
            next.data.move_to(to, now);
            next.updated_at = now;
            next.version += 1;
            if !store::update_stage(conn, &next, current.version)? {
                return Err(AppError::PreconditionFailed);
            }
            let mut changed = event(
                &next,
                &caller,
                EventKind::StageChanged,
                serde_json::json!({}),
            );
            changed.from_stage = Some(from);
            changed.to_stage = Some(to);
            changed.seconds_in_stage = Some(seconds);
            changed.reason = reason.clone();
            store::append_event(conn, &changed)?;
            events::record(
                conn,
                interest_event(
                    "interest.stageChanged",
                    &next,
                    serde_json::json!({"from": from, "to": to, "reason": reason}),
                ),
            )?;
            Ok(next)
        })
        .await
}

/// An interest's timeline, oldest first. Investors do not see officer-only entries.
pub async fn timeline(
    state: &AppState,
    caller: &Caller,
    id: InterestId,
    page: PageRequest<()>,
) -> Result<Vec<InterestEvent>, AppError> {
    caller.require_key()?;
    let caller = caller.clone();
    state
        .db
        .run(move |conn| {
            store::get(conn, &id)?
                .filter(|i| visible(&caller, &i.data))
                .ok_or(AppError::NotFound)?;
            Ok(store::events(conn, &id, caller.is_staff(), &page)?)
        })
        .await
}
