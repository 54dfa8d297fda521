//! Interests as the API shows them: expressions of interest in opportunities, their stage
//! transitions and timelines.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::audience;
use super::money::{MoneyDto, money};
use super::pagination::{CursorId, ListShape};
use super::parse::{Problems, optional_id};
use super::utc;
use crate::domain::access::Caller;
use crate::domain::audience::Audience;
use crate::domain::codes::{EngagementModel, Role};
use crate::domain::ids::{EventId, InterestId, OpportunityId, PartyId, PersonId};
use crate::domain::interests::{Interest, InterestChanges, InterestEvent, NewInterest};
use crate::domain::interests::{InterestFilter, InterestSort};
use crate::domain::stages::Stage;
use crate::error::{AppError, FieldError};

/// An expression of interest in an opportunity.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateInterestRequest {
    /// The interested party: required from officers; refused from investors (their key implies it).
    #[schema(value_type = Option<crate::domain::ids::PartyId>)]
    pub party_id: Option<String>,
    /// One of the opportunity's engagement models.
    #[schema(value_type = EngagementModel)]
    pub engagement_model: String,
    #[validate(length(min = 1, max = 5000))]
    #[schema(
        min_length = 1,
        max_length = 5000,
        example = "The Republic of Azerbaijan is interested in the M-6 on a G2G basis."
    )]
    pub message: Option<String>,
    #[validate(nested)]
    pub indicative_amount: Option<MoneyDto>,
    /// Parties bidding with the lead (consortia, trilateral bids).
    #[validate(length(max = 20))]
    #[schema(value_type = Vec<crate::domain::ids::PartyId>, max_items = 20)]
    #[serde(default)]
    pub co_investor_ids: Vec<String>,
    /// A person of the lead party or of a co-investor.
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
    pub contact_person_id: Option<String>,
}

impl CreateInterestRequest {
    pub fn parse(self) -> Result<NewInterest, AppError> {
        let mut p = Problems::from_validation(self.validate());
        let party = p.take(
            "/partyId",
            optional_id(&self.party_id, PartyId::parse, "party"),
        );
        let model = p.take(
            "/engagementModel",
            EngagementModel::parse(&self.engagement_model)
                .ok_or_else(|| "is not an engagement model".to_owned()),
        );
        let amount = money(&mut p, "/indicativeAmount", &self.indicative_amount);
        let co: Vec<Option<PartyId>> = self
            .co_investor_ids
            .iter()
            .enumerate()
            .map(|(i, c)| {
                p.take(
                    format!("/coInvestorIds/{i}"),
                    PartyId::parse(c).ok_or_else(|| "is not a party id".to_owned()),
                )
            })
            .collect();
        let contact = p.take(
            "/contactPersonId",
            optional_id(&self.contact_person_id, PersonId::parse, "person"),
        );
        p.finish(|| {
            let mut co_investor_ids: Vec<PartyId> = co.into_iter().collect::<Option<_>>()?;
            co_investor_ids.dedup();
            Some(NewInterest {
                party_id: party?,
                engagement_model: model?,
                message: self.message,
                indicative_amount: amount?,
                co_investor_ids,
                contact_person_id: contact?,
            })
        })
    }
}

/// What an officer may change on an interest; the stage changes only through transitions.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InterestUpdate {
    /// The host-agency officer (a person) who follows the interest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
    pub assignee_id: Option<String>,
    /// Probability of closing, 0–100; `null` returns to the stage's default.
    #[validate(range(min = 0, max = 100))]
    #[schema(minimum = 0, maximum = 100)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<i32>,
    #[validate(nested)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicative_amount: Option<MoneyDto>,
    /// Officers' notes; never shown to investors.
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl InterestUpdate {
    pub fn of(interest: &Interest) -> Self {
        let d = &interest.data;
        InterestUpdate {
            assignee_id: d.assignee_id.as_ref().map(|p| p.to_string()),
            probability: d.probability_override,
            indicative_amount: d.indicative_amount.as_ref().map(MoneyDto::from),
            notes: d.notes.clone(),
        }
    }

    pub fn parse(self) -> Result<InterestChanges, AppError> {
        let mut p = Problems::from_validation(self.validate());
        let assignee = p.take(
            "/assigneeId",
            optional_id(&self.assignee_id, PersonId::parse, "person"),
        );
        let amount = money(&mut p, "/indicativeAmount", &self.indicative_amount);
        p.finish(|| {
            Some(InterestChanges {
                assignee_id: assignee?,
                probability_override: self.probability,
                indicative_amount: amount?,
                notes: self.notes,
            })
        })
    }
}

/// A request to move an interest to another stage.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TransitionRequest {
    /// The stage to move to.
    #[schema(value_type = Stage)]
    pub to: String,
    /// Why; required for a backward move, a move past more than one stage, `rejected` and a
    /// correction.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000, example = "MoU signed in Baku")]
    pub reason: Option<String>,
    /// Corrects a mistaken move (officers): the interest goes to `to` from any stage, final ones
    /// included, whatever the usual moves; the correction is kept in the timeline beside the
    /// move it corrects, and the furthest stage reached no longer counts the mistake.
    #[serde(default)]
    pub correction: bool,
    /// Shows the reason to the parties involved too (their timeline, feed and webhooks);
    /// otherwise it is the officers' own.
    #[serde(default)]
    pub share_reason: bool,
}

/// An expression of interest.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterestResponse {
    #[schema(value_type = crate::domain::ids::InterestId)]
    pub id: String,
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub opportunity_id: String,
    /// The lead party.
    #[schema(value_type = crate::domain::ids::PartyId)]
    pub party_id: String,
    pub engagement_model: EngagementModel,
    pub stage: Stage,
    /// For `onHold`: the stage it will return to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_stage: Option<Stage>,
    /// Probability of closing, 0–100 (officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<i32>,
    /// Whether an officer set the probability, otherwise it follows the stage (officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability_overridden: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicative_amount: Option<MoneyDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 5000)]
    pub message: Option<String>,
    #[schema(value_type = Vec<crate::domain::ids::PartyId>, max_items = 20)]
    pub co_investor_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
    pub contact_person_id: Option<String>,
    /// The officer in charge (officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::PersonId>)]
    pub assignee_id: Option<String>,
    /// Officers' notes (officers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10000)]
    pub notes: Option<String>,
    /// The party's earlier interest in this opportunity, withdrawn or rejected, that this one
    /// follows on from.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::domain::ids::InterestId>)]
    pub previous_interest_id: Option<String>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub stage_changed_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// Increases on every change; the ETag is `"v<version>"`.
    pub version: i32,
}

impl InterestResponse {
    /// The interest as `caller` may see it: investors never see officers' notes.
    pub fn for_caller(interest: &Interest, caller: &Caller) -> Self {
        let d = &interest.data;
        // Only officers and the parties involved ever see an interest.
        let viewer = Audience::of(caller, true);
        let sees = |field: &str| audience::visible("InterestResponse", field, viewer, false);
        InterestResponse {
            id: interest.id.to_string(),
            opportunity_id: d.opportunity_id.to_string(),
            party_id: d.party_id.to_string(),
            engagement_model: d.engagement_model,
            stage: d.stage,
            held_stage: d.held_stage,
            probability: sees("probability").then(|| d.probability()),
            probability_overridden: sees("probabilityOverridden")
                .then_some(d.probability_override.is_some()),
            indicative_amount: d.indicative_amount.as_ref().map(MoneyDto::from),
            message: d.message.clone(),
            co_investor_ids: d.co_investor_ids.iter().map(|p| p.to_string()).collect(),
            contact_person_id: d.contact_person_id.as_ref().map(|p| p.to_string()),
            assignee_id: d
                .assignee_id
                .as_ref()
                .filter(|_| sees("assigneeId"))
                .map(|p| p.to_string()),
            notes: d.notes.clone().filter(|_| sees("notes")),
            previous_interest_id: d.previous_interest_id.as_ref().map(|i| i.to_string()),
            stage_changed_at: utc(d.stage_changed_at),
            created_at: utc(interest.created_at),
            updated_at: utc(interest.updated_at),
            version: interest.version,
        }
    }
}

/// One entry of an interest's timeline (its schema, a union over the entry types, is
/// [`crate::api::event_data::TypedTimelineEntry`]).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InterestEventResponse {
    pub id: String,
    /// `interest.created`, `interest.stageChanged`, `interest.assigned`, `interest.amountChanged`,
    /// `interest.probabilityChanged` or `interest.notesChanged` (officers only).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What changed, as `{from, to}` values.
    pub details: serde_json::Value,
    /// The API key that made the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_role: Option<Role>,
    #[serde(serialize_with = "crate::api::rfc3339")]
    pub occurred_at: DateTime<Utc>,
}

impl InterestEventResponse {
    /// The entry as `viewer` may see it: a reason only when the viewer may, or an officer
    /// shared it with the party.
    pub fn for_viewer(e: &InterestEvent, viewer: Audience) -> Self {
        let shared = e.details.get("reasonShared") == Some(&serde_json::Value::Bool(true));
        let reason_visible =
            audience::visible("InterestStageChangedEntry", "reason", viewer, shared);
        InterestEventResponse {
            id: e.id.to_string(),
            kind: e.kind.as_str().to_owned(),
            from: e.from_stage,
            to: e.to_stage,
            reason: e.reason.clone().filter(|_| reason_visible),
            details: e.details.clone(),
            actor_key_id: e.actor_key_id.as_ref().map(|k| k.to_string()),
            actor_role: e.actor_role,
            occurred_at: utc(e.occurred_at),
        }
    }
}

crate::page_type!(
    /// A page of interests.
    InterestPage, InterestResponse);

crate::page_type!(
    /// A page of an interest's timeline, oldest first.
    InterestEventPage, InterestEventResponse as crate::api::event_data::TypedTimelineEntry);

crate::list_query!(
/// Filters and paging of interests (sort: `createdAt`, `updatedAt`, `stageChangedAt`).
InterestListQuery(InterestSortField) {
    #[param(value_type = Option<crate::domain::ids::OpportunityId>)]
    opportunity_id: Option<String>,
    /// The lead party.
    #[param(value_type = Option<crate::domain::ids::PartyId>)]
    party_id: Option<String>,
    /// Any of these stages.
    #[param(value_type = Option<Vec<Stage>>)]
    #[serde(default)]
    stage: Vec<String>,
    #[param(value_type = Option<crate::domain::ids::PersonId>)]
    assignee_id: Option<String>,
    #[param(value_type = Option<EngagementModel>)]
    engagement_model: Option<String>,
    /// Changed at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
});

crate::list_query!(
/// Filters and paging of one opportunity's interests (the path names the opportunity).
OpportunityInterestQuery(InterestSortField) {
    /// The lead party.
    #[param(value_type = Option<crate::domain::ids::PartyId>)]
    party_id: Option<String>,
    /// Any of these stages.
    #[param(value_type = Option<Vec<Stage>>)]
    #[serde(default)]
    stage: Vec<String>,
    #[param(value_type = Option<crate::domain::ids::PersonId>)]
    assignee_id: Option<String>,
    #[param(value_type = Option<EngagementModel>)]
    engagement_model: Option<String>,
    /// Changed at or after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
});

impl From<OpportunityInterestQuery> for InterestListQuery {
    fn from(q: OpportunityInterestQuery) -> Self {
        InterestListQuery {
            limit: q.limit,
            cursor: q.cursor,
            sort: q.sort,
            include_total: q.include_total,
            opportunity_id: None,
            party_id: q.party_id,
            stage: q.stage,
            assignee_id: q.assignee_id,
            engagement_model: q.engagement_model,
            updated_since: q.updated_since,
        }
    }
}

crate::list_query!(
    /// Paging of a timeline.
    TimelineQuery(TimelineSortField) {});

/// How interest lists are paged.
pub const LIST: ListShape<InterestSort> = ListShape {
    sorts: &[
        ("createdAt", InterestSort::Created),
        ("updatedAt", InterestSort::Updated),
        ("stageChangedAt", InterestSort::StageChanged),
    ],
    default: InterestSort::Created,
    id: CursorId::Of(InterestId::PREFIX),
};

/// How an interest's timeline is paged: oldest first.
pub const TIMELINE: ListShape<()> = ListShape {
    sorts: &[("occurredAt", ())],
    default: (),
    id: CursorId::Of(EventId::PREFIX),
};

/// The URL of an interest.
pub fn location(id: &InterestId) -> String {
    format!("/v1/interests/{id}")
}

impl TransitionRequest {
    /// The stage to move to, the reason and whether it corrects a mistake; every problem at once.
    pub fn parse(self) -> Result<(Stage, Option<String>, bool, bool), AppError> {
        let mut p = Problems::from_validation(self.validate());
        let to = p.take(
            "/to",
            Stage::parse(&self.to)
                .ok_or_else(|| format!("{:?} is not a stage (see /v1/codelists/stage)", self.to)),
        );
        if self.correction && self.reason.is_none() {
            p.add("/reason", "a correction needs a reason");
        }
        let to = p.finish(|| to)?;
        Ok((to, self.reason, self.correction, self.share_reason))
    }
}

impl InterestListQuery {
    /// The filter (for the interests of `opportunity` when given), or a 400 naming every bad
    /// parameter.
    pub fn filter(&self, opportunity: Option<OpportunityId>) -> Result<InterestFilter, AppError> {
        let mut errors = Vec::new();
        let mut id = |name: &str, value: &Option<String>, ok: fn(&str) -> bool| {
            if value.as_deref().is_some_and(|v| !ok(v)) {
                errors.push(FieldError::new(name, "is not an id of the right kind"));
            }
        };
        id("opportunityId", &self.opportunity_id, |v| {
            OpportunityId::parse(v).is_some()
        });
        id("partyId", &self.party_id, |v| PartyId::parse(v).is_some());
        id("assigneeId", &self.assignee_id, |v| {
            PersonId::parse(v).is_some()
        });
        for s in &self.stage {
            if Stage::parse(s).is_none() {
                errors.push(FieldError::new("stage", format!("{s:?} is not a stage")));
            }
        }
        if self
            .engagement_model
            .as_deref()
            .is_some_and(|m| EngagementModel::parse(m).is_none())
        {
            errors.push(FieldError::new(
                "engagementModel",
                "is not an engagement model",
            ));
        }
        let since = self
            .updated_since
            .as_deref()
            .map(DateTime::parse_from_rfc3339);
        if since.as_ref().is_some_and(Result::is_err) {
            errors.push(FieldError::new(
                "updatedSince",
                "must be an RFC 3339 instant",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::bad_parameters(errors));
        }
        Ok(InterestFilter {
            involving: None,
            opportunity_id: opportunity.or_else(|| {
                self.opportunity_id
                    .as_deref()
                    .and_then(OpportunityId::parse)
            }),
            party_id: self.party_id.as_deref().and_then(PartyId::parse),
            stages: self.stage.iter().filter_map(|s| Stage::parse(s)).collect(),
            assignee_id: self.assignee_id.as_deref().and_then(PersonId::parse),
            engagement_model: self
                .engagement_model
                .as_deref()
                .and_then(EngagementModel::parse),
            updated_since: since.and_then(Result::ok).map(|t| t.naive_utc()),
        })
    }
}

crate::sort_schema!(
    /// How a list of interests may be sorted.
    InterestSortField, LIST);

crate::sort_schema!(
    /// How a timeline may be sorted.
    TimelineSortField, TIMELINE);
