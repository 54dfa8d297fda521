//! Expressions of interest: one party's interest in one opportunity, and where it stands.

use chrono::NaiveDateTime;

use super::codes::{EngagementModel, Role};
use super::ids::{ApiKeyId, EventId, InterestId, OpportunityId, PartyId, PersonId};
use super::money::Money;
use super::page::{Position, Positioned, timestamp_key};
use super::stages::Stage;
use super::stored::Stored;

/// Everything about an interest besides its id and bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestData {
    pub opportunity_id: OpportunityId,
    /// The lead party.
    pub party_id: PartyId,
    pub engagement_model: EngagementModel,
    pub message: Option<String>,
    pub indicative_amount: Option<Money>,
    /// Parties bidding together with the lead (consortia, trilateral bids).
    pub co_investor_ids: Vec<PartyId>,
    pub contact_person_id: Option<PersonId>,
    /// The host-agency officer who follows the interest.
    pub assignee_id: Option<PersonId>,
    /// Officers' notes; never shown to investors.
    pub notes: Option<String>,
    /// Set when an officer overrides the stage's default probability.
    pub probability_override: Option<i32>,
    pub stage: Stage,
    /// The stage an `onHold` interest returns to.
    pub held_stage: Option<Stage>,
    /// The furthest pipeline stage ever reached.
    pub furthest_stage: Stage,
    pub stage_changed_at: NaiveDateTime,
    /// The party's earlier interest in the same opportunity, withdrawn or rejected, that this one
    /// follows on from.
    pub previous_interest_id: Option<InterestId>,
}

impl InterestData {
    /// The probability of closing: the officer's figure, else the stage's default (an interest
    /// on hold keeps the default of the stage it left).
    pub fn probability(&self) -> i32 {
        self.probability_override.unwrap_or_else(|| {
            match (self.stage, self.held_stage) {
                (Stage::OnHold, Some(held)) => held,
                (stage, _) => stage,
            }
            .default_probability()
        })
    }

    /// Whether `party` is the lead or a co-investor.
    pub fn involves(&self, party: &PartyId) -> bool {
        self.party_id == *party || self.co_investor_ids.contains(party)
    }

    /// Moves to `to` at `now`, keeping what on-hold and the conversion figures need.
    /// Puts the interest at `to`, correcting a mistaken move: the furthest stage becomes the
    /// further of `to` and `reached`, what the interest had reached before that move.
    pub fn correct_to(&mut self, to: Stage, reached: Stage, now: NaiveDateTime) {
        self.held_stage = None;
        self.furthest_stage = reached.further(to);
        self.stage = to;
        self.stage_changed_at = now;
    }

    pub fn move_to(&mut self, to: Stage, now: NaiveDateTime) {
        self.held_stage = match to {
            Stage::OnHold => Some(self.stage),
            _ => None,
        };
        if let (Some(to_rank), Some(furthest)) = (to.rank(), self.furthest_stage.rank())
            && to_rank > furthest
        {
            self.furthest_stage = to;
        }
        self.stage = to;
        self.stage_changed_at = now;
    }
}

pub type Interest = Stored<InterestId, InterestData>;

/// What a new expression of interest says.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInterest {
    /// Required from officers; implied by an investor's key.
    pub party_id: Option<PartyId>,
    pub engagement_model: EngagementModel,
    pub message: Option<String>,
    pub indicative_amount: Option<Money>,
    pub co_investor_ids: Vec<PartyId>,
    pub contact_person_id: Option<PersonId>,
}

/// What an officer may change on an interest (merge patch). The stage never changes here.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestChanges {
    pub assignee_id: Option<PersonId>,
    pub probability_override: Option<i32>,
    pub indicative_amount: Option<Money>,
    pub notes: Option<String>,
}

/// What happened to an interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Created,
    StageChanged,
    Assigned,
    AmountChanged,
    ProbabilityChanged,
    NotesChanged,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "interest.created",
            EventKind::StageChanged => "interest.stageChanged",
            EventKind::Assigned => "interest.assigned",
            EventKind::AmountChanged => "interest.amountChanged",
            EventKind::ProbabilityChanged => "interest.probabilityChanged",
            EventKind::NotesChanged => "interest.notesChanged",
        }
    }

    /// Every kind, in the order a timeline most often shows them.
    pub const ALL: &'static [EventKind] = &[
        EventKind::Created,
        EventKind::StageChanged,
        EventKind::Assigned,
        EventKind::AmountChanged,
        EventKind::ProbabilityChanged,
        EventKind::NotesChanged,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == text)
    }
}

/// One entry of an interest's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestEvent {
    pub id: EventId,
    pub interest_id: InterestId,
    pub kind: EventKind,
    pub from_stage: Option<Stage>,
    pub to_stage: Option<Stage>,
    /// Seconds spent in `from_stage`, on stage changes.
    pub seconds_in_stage: Option<i64>,
    pub reason: Option<String>,
    /// What changed, as `{field: {from, to}}`.
    pub details: serde_json::Value,
    pub actor_key_id: Option<ApiKeyId>,
    pub actor_role: Option<Role>,
    pub occurred_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InterestData {
        InterestData {
            opportunity_id: OpportunityId::generate(),
            party_id: PartyId::generate(),
            engagement_model: EngagementModel::G2g,
            message: None,
            indicative_amount: None,
            co_investor_ids: vec![],
            contact_person_id: None,
            assignee_id: None,
            notes: None,
            probability_override: None,
            stage: Stage::Expressed,
            held_stage: None,
            furthest_stage: Stage::Expressed,
            stage_changed_at: chrono::NaiveDateTime::default(),
            previous_interest_id: None,
        }
    }

    #[test]
    fn probability_follows_the_stage_unless_overridden() {
        let mut interest = sample();
        assert_eq!(interest.probability(), 5);
        interest.move_to(Stage::Negotiation, chrono::NaiveDateTime::default());
        assert_eq!(interest.probability(), 70);
        interest.move_to(Stage::OnHold, chrono::NaiveDateTime::default());
        assert_eq!(
            interest.probability(),
            70,
            "on hold keeps the stage it left"
        );
        interest.probability_override = Some(42);
        assert_eq!(interest.probability(), 42);
    }

    #[test]
    fn the_furthest_stage_only_grows_and_on_hold_remembers() {
        let mut interest = sample();
        interest.move_to(Stage::DueDiligence, chrono::NaiveDateTime::default());
        interest.move_to(Stage::OnHold, chrono::NaiveDateTime::default());
        assert_eq!(interest.held_stage, Some(Stage::DueDiligence));
        interest.move_to(Stage::DueDiligence, chrono::NaiveDateTime::default());
        assert_eq!(interest.held_stage, None);
        interest.move_to(Stage::Screening, chrono::NaiveDateTime::default());
        assert_eq!(interest.furthest_stage, Stage::DueDiligence);
    }
}

/// Which interests a list shows.
#[derive(Debug, Clone, Default)]
pub struct InterestFilter {
    /// Only interests this party leads or co-invests in (an investor's view).
    pub involving: Option<PartyId>,
    pub opportunity_id: Option<OpportunityId>,
    pub party_id: Option<PartyId>,
    pub stages: Vec<Stage>,
    pub assignee_id: Option<PersonId>,
    pub engagement_model: Option<EngagementModel>,
    pub updated_since: Option<NaiveDateTime>,
}

/// Orders for interest lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InterestSort {
    Created,
    Updated,
    StageChanged,
}

impl Positioned<InterestSort> for Interest {
    fn position(&self, sort: InterestSort) -> Position {
        let key = match sort {
            InterestSort::Created => String::new(),
            InterestSort::Updated => timestamp_key(&self.updated_at),
            InterestSort::StageChanged => timestamp_key(&self.data.stage_changed_at),
        };
        Position {
            key,
            id: self.id.to_string(),
        }
    }
}

impl Positioned<()> for InterestEvent {
    /// Timelines are in the order entries were made: by id.
    fn position(&self, _: ()) -> Position {
        super::page::by_id(&self.id)
    }
}
