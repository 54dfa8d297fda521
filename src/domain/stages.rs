//! The interest pipeline: stages in order, and the moves allowed between them.

use serde::{Deserialize, Serialize};

/// Where an expression of interest stands ([`Stage::description`] says what each means).
///
/// Active stages in order: `expressed` → `screening` → `engaged` → `dueDiligence` →
/// `shortlisted` → `proposalSubmitted` → `negotiation` → `mouSigned` → `agreementSigned`, then
/// the final `financialClose`. `onHold` pauses any active stage and returns to it; `withdrawn`
/// and `rejected` end the interest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Stage {
    #[serde(rename = "expressed")]
    Expressed,
    #[serde(rename = "screening")]
    Screening,
    #[serde(rename = "engaged")]
    Engaged,
    #[serde(rename = "dueDiligence")]
    DueDiligence,
    #[serde(rename = "shortlisted")]
    Shortlisted,
    #[serde(rename = "proposalSubmitted")]
    ProposalSubmitted,
    #[serde(rename = "negotiation")]
    Negotiation,
    #[serde(rename = "mouSigned")]
    MouSigned,
    #[serde(rename = "agreementSigned")]
    AgreementSigned,
    #[serde(rename = "financialClose")]
    FinancialClose,
    #[serde(rename = "onHold")]
    OnHold,
    #[serde(rename = "withdrawn")]
    Withdrawn,
    #[serde(rename = "rejected")]
    Rejected,
}

/// The pipeline order, from first to last.
pub const PIPELINE: [Stage; 10] = [
    Stage::Expressed,
    Stage::Screening,
    Stage::Engaged,
    Stage::DueDiligence,
    Stage::Shortlisted,
    Stage::ProposalSubmitted,
    Stage::Negotiation,
    Stage::MouSigned,
    Stage::AgreementSigned,
    Stage::FinancialClose,
];

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveError {
    /// Not a legal move from here; lists the stages that are.
    Illegal { allowed: Vec<Stage> },
    /// Legal only with a reason (backward moves, skipping stages, rejections).
    ReasonRequired,
}

impl Stage {
    pub const ALL: [Stage; 13] = [
        Stage::Expressed,
        Stage::Screening,
        Stage::Engaged,
        Stage::DueDiligence,
        Stage::Shortlisted,
        Stage::ProposalSubmitted,
        Stage::Negotiation,
        Stage::MouSigned,
        Stage::AgreementSigned,
        Stage::FinancialClose,
        Stage::OnHold,
        Stage::Withdrawn,
        Stage::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Expressed => "expressed",
            Stage::Screening => "screening",
            Stage::Engaged => "engaged",
            Stage::DueDiligence => "dueDiligence",
            Stage::Shortlisted => "shortlisted",
            Stage::ProposalSubmitted => "proposalSubmitted",
            Stage::Negotiation => "negotiation",
            Stage::MouSigned => "mouSigned",
            Stage::AgreementSigned => "agreementSigned",
            Stage::FinancialClose => "financialClose",
            Stage::OnHold => "onHold",
            Stage::Withdrawn => "withdrawn",
            Stage::Rejected => "rejected",
        }
    }

    /// What the stage means, for documentation.
    pub fn description(self) -> &'static str {
        match self {
            Stage::Expressed => "The party has expressed interest.",
            Stage::Screening => "The agency is checking the party and its proposal.",
            Stage::Engaged => "The agency and the party are in active talks.",
            Stage::DueDiligence => "The party is examining the project in detail.",
            Stage::Shortlisted => "The party is among the preferred bidders.",
            Stage::ProposalSubmitted => "The party has submitted a proposal.",
            Stage::Negotiation => "Terms are being negotiated.",
            Stage::MouSigned => "A memorandum of understanding is signed.",
            Stage::AgreementSigned => "The agreement is signed.",
            Stage::FinancialClose => "Financing is in place; final.",
            Stage::OnHold => "Paused; returns to the stage it left.",
            Stage::Withdrawn => "Withdrawn by the investor or an officer; final.",
            Stage::Rejected => "Rejected by an officer, with a reason; final.",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Stage::Expressed => "Interest expressed",
            Stage::Screening => "Screening",
            Stage::Engaged => "Engaged",
            Stage::DueDiligence => "Due diligence",
            Stage::Shortlisted => "Shortlisted",
            Stage::ProposalSubmitted => "Proposal submitted",
            Stage::Negotiation => "Negotiation",
            Stage::MouSigned => "MoU signed",
            Stage::AgreementSigned => "Agreement signed",
            Stage::FinancialClose => "Financial close",
            Stage::OnHold => "On hold",
            Stage::Withdrawn => "Withdrawn",
            Stage::Rejected => "Rejected",
        }
    }

    pub fn parse(code: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Position in the pipeline; `None` for `onHold`, `withdrawn` and `rejected`.
    pub fn rank(self) -> Option<usize> {
        PIPELINE.iter().position(|s| *s == self)
    }

    /// An active stage can still move forward (everything before `financialClose`).
    pub fn is_active(self) -> bool {
        self.rank().is_some_and(|r| r < PIPELINE.len() - 1)
    }

    /// Nothing leaves a final stage.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Stage::FinancialClose | Stage::Withdrawn | Stage::Rejected
        )
    }

    /// Whether an interest in this stage counts as the party's active interest.
    pub fn counts_as_active(self) -> bool {
        !matches!(self, Stage::Withdrawn | Stage::Rejected)
    }

    /// The probability of closing that an interest in this stage has unless an officer sets one.
    pub fn default_probability(self) -> i32 {
        match self {
            Stage::Expressed => 5,
            Stage::Screening => 10,
            Stage::Engaged => 20,
            Stage::DueDiligence => 35,
            Stage::Shortlisted => 50,
            Stage::ProposalSubmitted => 60,
            Stage::Negotiation => 70,
            Stage::MouSigned => 80,
            Stage::AgreementSigned => 95,
            Stage::FinancialClose => 100,
            Stage::OnHold | Stage::Withdrawn | Stage::Rejected => 0,
        }
    }

    /// Every stage an interest may move to from `self` (`held` is the stage an `onHold`
    /// interest left).
    pub fn allowed_moves(self, held: Option<Stage>) -> Vec<Stage> {
        match self {
            s if s.is_active() => {
                let mut moves: Vec<Stage> = PIPELINE.iter().copied().filter(|t| *t != s).collect();
                moves.extend([Stage::OnHold, Stage::Withdrawn, Stage::Rejected]);
                moves
            }
            Stage::OnHold => {
                let mut moves: Vec<Stage> = held.into_iter().collect();
                moves.extend([Stage::Withdrawn, Stage::Rejected]);
                moves
            }
            _ => Vec::new(),
        }
    }

    /// Checks a move to `to`; a backward move, a forward move past more than one stage and a
    /// rejection need a reason (a jump like `engaged → financialClose` is most often a slip).
    pub fn check_move(
        self,
        to: Stage,
        held: Option<Stage>,
        has_reason: bool,
    ) -> Result<(), MoveError> {
        let allowed = self.allowed_moves(held);
        if !allowed.contains(&to) {
            return Err(MoveError::Illegal { allowed });
        }
        let (backward, skips) = match (self.rank(), to.rank()) {
            (Some(from), Some(to)) => (to < from, to > from + 1),
            _ => (false, false),
        };
        if (backward || skips || to == Stage::Rejected) && !has_reason {
            return Err(MoveError::ReasonRequired);
        }
        Ok(())
    }
}

impl Stage {
    /// Checks a correction of a mistaken move, from `self` to `to`: any other stage but `onHold`
    /// (a correction puts the interest where it should be; holding is an ordinary move), from any
    /// stage, final ones included. The caller makes sure a reason is given.
    pub fn check_correction(self, to: Stage) -> Result<(), MoveError> {
        if to == self || to == Stage::OnHold {
            let allowed = Stage::ALL
                .into_iter()
                .filter(|s| *s != self && *s != Stage::OnHold)
                .collect();
            return Err(MoveError::Illegal { allowed });
        }
        Ok(())
    }

    /// The further along the pipeline of two stages (`onHold`, `withdrawn` and `rejected` are
    /// behind every pipeline stage).
    pub fn further(self, other: Stage) -> Stage {
        match (self.rank(), other.rank()) {
            (Some(a), Some(b)) if b > a => other,
            (None, Some(_)) => other,
            _ => self,
        }
    }
}

/// Documented as a string enum whose description explains every value.
impl utoipa::PartialSchema for Stage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let mut description = String::from(
            "Where an expression of interest stands. Moves go forward one step, or more with a reason; a backward move needs a reason; `onHold` returns to the stage it left; nothing leaves `financialClose`, `withdrawn` or `rejected`.\n",
        );
        for stage in Stage::ALL {
            description.push_str(&format!(
                "\n- `{}`: {}",
                stage.as_str(),
                stage.description()
            ));
        }
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .description(Some(description))
            .enum_values(Some(Stage::ALL.iter().map(|s| s.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for Stage {}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_moves_of_one_step_are_allowed_and_of_more_with_a_reason() {
        assert_eq!(
            Stage::Expressed.check_move(Stage::Screening, None, false),
            Ok(())
        );
        assert_eq!(
            Stage::Expressed.check_move(Stage::Negotiation, None, false),
            Err(MoveError::ReasonRequired)
        );
        assert_eq!(
            Stage::Engaged.check_move(Stage::FinancialClose, None, false),
            Err(MoveError::ReasonRequired)
        );
        assert_eq!(
            Stage::Expressed.check_move(Stage::Negotiation, None, true),
            Ok(())
        );
        assert_eq!(
            Stage::AgreementSigned.check_move(Stage::FinancialClose, None, false),
            Ok(())
        );
    }

    #[test]
    fn backward_moves_and_rejections_need_a_reason() {
        assert_eq!(
            Stage::Negotiation.check_move(Stage::Screening, None, false),
            Err(MoveError::ReasonRequired)
        );
        assert_eq!(
            Stage::Negotiation.check_move(Stage::Screening, None, true),
            Ok(())
        );
        assert_eq!(
            Stage::Screening.check_move(Stage::Rejected, None, false),
            Err(MoveError::ReasonRequired)
        );
        assert_eq!(
            Stage::Screening.check_move(Stage::Withdrawn, None, false),
            Ok(())
        );
    }

    #[test]
    fn a_correction_may_leave_any_stage_for_any_other_but_on_hold() {
        assert_eq!(
            Stage::FinancialClose.check_correction(Stage::Engaged),
            Ok(())
        );
        assert_eq!(Stage::Rejected.check_correction(Stage::Screening), Ok(()));
        assert!(Stage::Engaged.check_correction(Stage::Engaged).is_err());
        assert!(Stage::Engaged.check_correction(Stage::OnHold).is_err());
        assert_eq!(Stage::Engaged.further(Stage::Screening), Stage::Engaged);
        assert_eq!(Stage::Withdrawn.further(Stage::Screening), Stage::Screening);
    }

    #[test]
    fn nothing_leaves_a_final_stage() {
        for stage in [Stage::FinancialClose, Stage::Withdrawn, Stage::Rejected] {
            for to in Stage::ALL {
                assert!(
                    matches!(
                        stage.check_move(to, None, true),
                        Err(MoveError::Illegal { .. })
                    ),
                    "{stage} → {to}"
                );
            }
        }
    }

    #[test]
    fn on_hold_returns_only_to_the_stage_it_left() {
        assert_eq!(
            Stage::DueDiligence.check_move(Stage::OnHold, None, false),
            Ok(())
        );
        assert_eq!(
            Stage::OnHold.check_move(Stage::DueDiligence, Some(Stage::DueDiligence), false),
            Ok(())
        );
        assert!(
            Stage::OnHold
                .check_move(Stage::Negotiation, Some(Stage::DueDiligence), false)
                .is_err()
        );
        assert_eq!(
            Stage::OnHold.check_move(Stage::Withdrawn, Some(Stage::DueDiligence), false),
            Ok(())
        );
        assert!(
            Stage::OnHold
                .check_move(Stage::OnHold, Some(Stage::DueDiligence), false)
                .is_err()
        );
    }

    #[test]
    fn staying_put_is_not_a_move() {
        let Err(MoveError::Illegal { allowed }) =
            Stage::Engaged.check_move(Stage::Engaged, None, true)
        else {
            panic!("engaged → engaged accepted");
        };
        assert!(allowed.contains(&Stage::DueDiligence) && allowed.contains(&Stage::Expressed));
        assert!(!allowed.contains(&Stage::Engaged));
    }

    #[test]
    fn every_stage_has_a_code_that_parses_back() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
            assert_eq!(serde_json::to_value(stage).unwrap(), stage.as_str());
        }
    }
}
