//! Rules for interests: who may express, see, change and move them through the pipeline.

use super::events;
use super::idempotency::write_once;
use super::{AppState, fresh, replace};
use crate::api::audience::entry_audience;
use crate::api::event_data::{
    InterestCreatedData, InterestStageChangedData, InterestUpdatedData, data as event_data,
};
use crate::api::interests::{
    CreateInterestRequest, InterestListQuery, InterestResponse, InterestUpdate, LIST, TIMELINE,
    TimelineQuery, TransitionRequest, location,
};
use crate::api::money::MoneyDto;
use crate::api::pagination::{ListRequest, Listed};
use crate::api::parse::apply_patch;
use crate::api::reply::{IdempotencyKey, Reply};
use crate::domain::access::Caller;
use crate::domain::audience::Audience;
use crate::domain::codes::ListingStatus;
use crate::domain::events::{Audience as EventAudience, NewEvent};
use crate::domain::ids::{EventId, InterestId, OpportunityId, PartyId};
use crate::domain::interests::{
    EventKind, Interest, InterestChanges, InterestData, InterestEvent, InterestSort, NewInterest,
};
use crate::domain::stages::{MoveError, Stage};
use crate::domain::stored::Expected;
use crate::error::{AppError, FieldError};
use crate::persistence::interests as store;
use crate::persistence::transaction::lock_row;
use crate::persistence::{self, DbConnection, opportunities, parties, people};

/// Who may see an interest: officers, and investors whose party leads or co-invests.
fn visible(caller: &Caller, interest: &InterestData) -> bool {
    caller.is_staff()
        || caller
            .investor_party()
            .is_some_and(|p| interest.involves(p))
}

/// The interest `id` names, if the caller may see it; any other is the same 404 as a missing one.
fn visible_interest(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &InterestId,
) -> Result<Interest, AppError> {
    store::get(conn, id)?
        .filter(|i| visible(caller, &i.data))
        .ok_or(AppError::NotFound)
}

fn interest_id(caller: &Caller, id: &str) -> Result<InterestId, AppError> {
    caller.require_key()?;
    InterestId::parse(id).ok_or(AppError::NotFound)
}

fn timeline_entry(
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

/// An interest event carrying `data`: for officers and the parties involved.
fn interest_event(kind: &'static str, interest: &Interest, data: serde_json::Value) -> NewEvent {
    let mut parties = vec![interest.data.party_id.clone()];
    parties.extend(interest.data.co_investor_ids.iter().cloned());
    events::event(kind, &interest.id, EventAudience::Parties(parties), data)
}

/// The ids every interest event's data starts with: the interest, its opportunity, its lead.
fn ids(interest: &Interest) -> (String, String, String) {
    (
        interest.id.to_string(),
        interest.data.opportunity_id.to_string(),
        interest.data.party_id.to_string(),
    )
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

/// The party an interest is expressed for: an investor's own (which it may not name), or the one
/// an officer names. Naming co-investors binds other parties, so only officers may.
fn interested_party(caller: &Caller, new: &NewInterest) -> Result<PartyId, AppError> {
    caller.require_key()?;
    match (caller.investor_party(), &new.party_id) {
        (Some(_), Some(_)) => Err(AppError::invalid_field(
            "/partyId",
            "is implied by your key; do not send it",
        )),
        (Some(_), None) if !new.co_investor_ids.is_empty() => Err(AppError::invalid_field(
            "/coInvestorIds",
            "only an officer can name co-investors: they bind other parties, so ask the agency to add them",
        )),
        (Some(own), None) => Ok(own.clone()),
        (None, Some(party)) if caller.is_staff() => Ok(party.clone()),
        (None, None) if caller.is_staff() => Err(AppError::invalid_field(
            "/partyId",
            "is required when an officer records an interest",
        )),
        _ => Err(AppError::Forbidden(
            "This key may not express interest.".into(),
        )),
    }
}

/// Records an expression of interest: an investor's for its own party, or an officer's on a
/// party's behalf.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    opportunity_id: &str,
    request: CreateInterestRequest,
) -> Result<Reply, AppError> {
    caller.require_key()?;
    let opportunity_id = OpportunityId::parse(opportunity_id).ok_or(AppError::NotFound)?;
    let new = request.parse()?;
    let party_id = interested_party(caller, &new)?;
    let writer = caller.clone();
    let viewer = caller.clone();
    write_once(
        state,
        caller,
        key,
        move |conn| express(conn, &writer, opportunity_id, party_id, new),
        move |interest, _| {
            Reply::created(
                location(&interest.id),
                Some(interest.version),
                &InterestResponse::for_caller(interest, &viewer),
            )
        },
    )
    .await
}

/// The write of [`create`].
fn express(
    conn: &mut DbConnection,
    caller: &Caller,
    opportunity_id: OpportunityId,
    party_id: PartyId,
    new: NewInterest,
) -> Result<Interest, AppError> {
    let opportunity = open_opportunity(conn, caller, &opportunity_id)?;
    if !opportunity
        .engagement_models
        .contains(&new.engagement_model)
    {
        let offered: Vec<&str> = opportunity
            .engagement_models
            .iter()
            .map(|m| m.as_str())
            .collect();
        return Err(AppError::invalid_field(
            "/engagementModel",
            format!("this opportunity offers {}", offered.join(", ")),
        ));
    }
    if !parties::exists(conn, &party_id)? {
        return Err(AppError::invalid_field("/partyId", "no party has this id"));
    }
    let now = persistence::now();
    let previous_interest_id = store::latest_closed(conn, &opportunity_id, &party_id)?;
    let data = InterestData {
        previous_interest_id,
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
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            return Err(AppError::conflict(
                "duplicateInterest",
                "This party already has an active interest in this opportunity; update or withdraw that one.",
            ));
        }
        other => other?,
    }
    let model = interest.data.engagement_model;
    let details = serde_json::json!({"engagementModel": model.as_str(), "stage": "expressed"});
    let mut created = timeline_entry(&interest, caller, EventKind::Created, details);
    created.to_stage = Some(Stage::Expressed);
    store::append_event(conn, &created)?;
    let (id, opportunity_id, party_id) = ids(&interest);
    let payload = event_data(&InterestCreatedData {
        id,
        opportunity_id,
        party_id,
        stage: Stage::Expressed,
        engagement_model: model,
    });
    events::record(conn, interest_event("interest.created", &interest, payload))?;
    Ok(interest)
}

pub async fn get(state: &AppState, caller: &Caller, id: &str) -> Result<Interest, AppError> {
    let id = interest_id(caller, id)?;
    let caller = caller.clone();
    state
        .db
        .run(move |conn| visible_interest(conn, &caller, &id))
        .await
}

/// Lists interests (of one opportunity, when `opportunity` is given); an investor's list never
/// reaches beyond its own party's, whatever the filters.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    opportunity: Option<&str>,
    request: ListRequest<InterestListQuery>,
) -> Result<Listed<Interest, InterestSort>, AppError> {
    caller.require_key()?;
    let opportunity = opportunity
        .map(|id| OpportunityId::parse(id).ok_or(AppError::NotFound))
        .transpose()?;
    let paging = request.paging(&state.cursors, request.query.paging(), &LIST)?;
    // An opportunity in the path must be one the caller may see (a 404 otherwise); one named in
    // the query is a filter like any other, which may match nothing.
    let in_path = opportunity.clone();
    let mut filter = request.query.filter(opportunity)?;
    if !caller.is_staff() {
        filter.involving = Some(caller.investor_party().cloned().ok_or(AppError::Forbidden(
            "This key may not list interests.".into(),
        ))?);
    }
    let (page, with_total) = (paging.request.clone(), paging.with_total);
    let staff = caller.is_staff();
    let (items, total) = state
        .db
        .run(move |conn| {
            if let Some(opportunity) = &in_path
                && opportunities::get(conn, opportunity)?
                    .filter(|o| staff || o.data.status.is_public())
                    .is_none()
            {
                return Err(AppError::NotFound);
            }
            let items = store::list(conn, &filter, &page)?;
            let total = with_total
                .then(|| store::count(conn, &filter))
                .transpose()?;
            Ok((items, total))
        })
        .await?;
    Ok(Listed {
        paging,
        items,
        total,
    })
}

/// Applies an officer's merge patch (assignee, probability, amount, notes) and records each
/// change in the timeline. The stage never changes here.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected: Expected,
    patch: serde_json::Value,
) -> Result<Interest, AppError> {
    caller.require_staff()?;
    let id = InterestId::parse(id).ok_or(AppError::NotFound)?;
    let caller = caller.clone();
    state
        .db
        .write(move |conn| {
            lock_row(conn, "interests", id.as_str())?;
            let current = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let before = current.data.clone();
            let next = replace(
                conn,
                current,
                &expected,
                |current| {
                    let changes = apply_patch(&InterestUpdate::of(current), patch)?.parse()?;
                    Ok(changed_data(current, changes))
                },
                check_parties,
                store::update,
            )?;
            record_changes(conn, &caller, &before, &next)?;
            Ok(next)
        })
        .await
}

fn changed_data(current: &Interest, changes: InterestChanges) -> InterestData {
    InterestData {
        assignee_id: changes.assignee_id,
        probability_override: changes.probability_override,
        indicative_amount: changes.indicative_amount,
        notes: changes.notes,
        ..current.data.clone()
    }
}

/// A timeline entry's details: the value before and after.
fn change(from: serde_json::Value, to: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"from": from, "to": to})
}

/// Appends one timeline entry per changed field, and a feed event naming the changes investors
/// may know of.
fn record_changes(
    conn: &mut DbConnection,
    caller: &Caller,
    before: &InterestData,
    next: &Interest,
) -> Result<(), AppError> {
    let after = &next.data;
    let money =
        |m: &Option<crate::domain::money::Money>| serde_json::json!(m.as_ref().map(MoneyDto::from));
    let mut changed = Vec::new();
    if before.assignee_id != after.assignee_id {
        changed.push((
            EventKind::Assigned,
            change(
                serde_json::json!(before.assignee_id),
                serde_json::json!(after.assignee_id),
            ),
        ));
    }
    if before.indicative_amount != after.indicative_amount {
        changed.push((
            EventKind::AmountChanged,
            change(
                money(&before.indicative_amount),
                money(&after.indicative_amount),
            ),
        ));
    }
    if before.probability() != after.probability()
        || before.probability_override != after.probability_override
    {
        changed.push((
            EventKind::ProbabilityChanged,
            change(
                serde_json::json!(before.probability()),
                serde_json::json!(after.probability()),
            ),
        ));
    }
    if before.notes != after.notes {
        changed.push((EventKind::NotesChanged, serde_json::json!({})));
    }
    // The parties involved hear of the changes they may see; officers of the others too (notes
    // go to the timeline only). Each audience gets its own event, so neither learns of the other's.
    let named = |party_visible: bool| -> Vec<&'static str> {
        changed
            .iter()
            .filter(|(k, _)| *k != EventKind::NotesChanged)
            .filter(|(k, _)| (entry_audience(*k) == Audience::Party) == party_visible)
            .map(|(k, _)| k.as_str())
            .collect()
    };
    for party_visible in [true, false] {
        let changes = named(party_visible);
        if changes.is_empty() {
            continue;
        }
        let (id, opportunity_id, party_id) = ids(next);
        let payload = event_data(&InterestUpdatedData {
            id,
            opportunity_id,
            party_id,
            changes,
        });
        let mut event = interest_event("interest.updated", next, payload);
        if !party_visible {
            event.audience = EventAudience::Staff;
        }
        events::record(conn, event)?;
    }
    for (kind, details) in changed {
        store::append_event(conn, &timeline_entry(next, caller, kind, details))?;
    }
    Ok(())
}

/// Moves an interest to another stage. Officers make every legal move; an investor may only
/// withdraw an interest its party leads.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    id: &str,
    expected: Expected,
    request: TransitionRequest,
) -> Result<Reply, AppError> {
    let id = interest_id(caller, id)?;
    let (to, reason, correction, share_reason) = request.parse()?;
    let writer = caller.clone();
    let viewer = caller.clone();
    let change = StageChange {
        to,
        reason,
        correction,
        share_reason,
    };
    write_once(
        state,
        caller,
        key,
        move |conn| move_stage(conn, &writer, &id, &expected, change),
        move |interest, _| {
            Reply::ok(
                Some(interest.version),
                &InterestResponse::for_caller(interest, &viewer),
            )
        },
    )
    .await
}

/// Why a move is refused, as the client is told.
fn refused_move(from: Stage, to: Stage, error: MoveError) -> AppError {
    match error {
        MoveError::Illegal { allowed } => {
            let names: Vec<String> = allowed.iter().map(|s| s.as_str().to_owned()).collect();
            AppError::IllegalTransition {
                detail: format!(
                    "An interest cannot move from {from} to {to}; allowed: {}.",
                    if names.is_empty() {
                        "none (final stage)".to_owned()
                    } else {
                        names.join(", ")
                    }
                ),
                allowed: names,
            }
        }
        MoveError::ReasonRequired => AppError::invalid_field(
            "/reason",
            format!("a move from {from} to {to} needs a reason"),
        ),
    }
}

/// A requested stage change: the stage, why, and whether it corrects a mistaken move.
struct StageChange {
    to: Stage,
    reason: Option<String>,
    correction: bool,
    /// The reason is shown to the parties involved too.
    share_reason: bool,
}

/// Where the interest goes: checked as an ordinary move, or as a correction (officers only;
/// the furthest stage reached then leaves out the move being corrected).
fn next_stage(
    conn: &mut DbConnection,
    caller: &Caller,
    current: &Interest,
    change: &StageChange,
    now: chrono::NaiveDateTime,
) -> Result<Interest, AppError> {
    let (from, to) = (current.data.stage, change.to);
    let mut next = current.clone();
    if change.correction {
        caller.require_staff()?;
        from.check_correction(to)
            .map_err(|e| refused_move(from, to, e))?;
        // Every stage the interest was put at but the last (the mistake), and where it goes.
        let mut reached = store::stages_reached(conn, &current.id)?;
        reached.pop();
        let before = reached
            .iter()
            .filter_map(|s| Stage::parse(s))
            .fold(Stage::Expressed, Stage::further);
        next.data.correct_to(to, before, now);
    } else {
        from.check_move(to, current.data.held_stage, change.reason.is_some())
            .map_err(|e| refused_move(from, to, e))?;
        next.data.move_to(to, now);
    }
    Ok(next)
}

/// The write of [`transition`].
fn move_stage(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &InterestId,
    expected: &Expected,
    change: StageChange,
) -> Result<Interest, AppError> {
    lock_row(conn, "interests", id.as_str())?;
    let current = visible_interest(conn, caller, id)?;
    let (to, reason) = (change.to, change.reason.clone());
    if !caller.is_staff()
        && (to != Stage::Withdrawn
            || change.correction
            || caller.investor_party() != Some(&current.data.party_id))
    {
        return Err(AppError::Forbidden(
            "An investor may only withdraw an interest its own party leads.".into(),
        ));
    }
    expected.check(current.version)?;
    let from = current.data.stage;
    let now = persistence::now();
    let seconds = (now - current.data.stage_changed_at).num_seconds();
    let mut next = next_stage(conn, caller, &current, &change, now)?;
    next.updated_at = now;
    next.version += 1;
    match store::update_stage(conn, &next, current.version) {
        Ok(true) => {}
        Ok(false) => return Err(AppError::PreconditionFailed),
        // A correction back to an active stage while the party has another active interest.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            return Err(AppError::conflict(
                "duplicateInterest",
                "This party already has another active interest in this opportunity; withdraw that one first.",
            ));
        }
        Err(other) => return Err(other.into()),
    }
    let mut details = serde_json::json!({});
    if change.correction {
        details["correction"] = serde_json::json!(true);
    }
    if change.share_reason && reason.is_some() {
        details["reasonShared"] = serde_json::json!(true);
    }
    let mut changed = timeline_entry(&next, caller, EventKind::StageChanged, details);
    changed.from_stage = Some(from);
    changed.to_stage = Some(to);
    changed.seconds_in_stage = Some(seconds);
    changed.reason = reason.clone();
    store::append_event(conn, &changed)?;
    events::record(
        conn,
        interest_event("interest.stageChanged", &next, {
            let (id, opportunity_id, party_id) = ids(&next);
            event_data(&InterestStageChangedData {
                id,
                opportunity_id,
                party_id,
                from,
                to,
                reason,
                correction: change.correction,
                reason_shared: change.share_reason && change.reason.is_some(),
            })
        }),
    )?;
    Ok(next)
}

/// An interest's timeline, oldest first. Investors do not see officer-only entries.
pub async fn timeline(
    state: &AppState,
    caller: &Caller,
    id: &str,
    request: ListRequest<TimelineQuery>,
) -> Result<Listed<InterestEvent, ()>, AppError> {
    let id = interest_id(caller, id)?;
    let paging = request
        .paging(&state.cursors, request.query.paging(), &TIMELINE)?
        .without_total("timelines")?;
    let page = paging.request.clone();
    let caller = caller.clone();
    let items = state
        .db
        .run(move |conn| {
            visible_interest(conn, &caller, &id)?;
            // Entries of a kind the viewer may not see are not read at all.
            let viewer = Audience::of(&caller, true);
            let hidden: Vec<&str> = EventKind::ALL
                .iter()
                .filter(|k| !viewer.sees(entry_audience(**k)))
                .map(|k| k.as_str())
                .collect();
            Ok::<_, AppError>(store::events(conn, &id, &hidden, &page)?)
        })
        .await?;
    Ok(Listed {
        paging,
        items,
        total: None,
    })
}
