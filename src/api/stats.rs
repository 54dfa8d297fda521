//! Figures for dashboards, as the API shows them.

use serde::Serialize;
use utoipa::ToSchema;

use super::money::MoneyDto;
use crate::domain::stages::Stage;
use crate::domain::stats::{CatalogueFigures, PipelineFigures};

/// A count for one code.
#[derive(Debug, Serialize, ToSchema)]
pub struct CodeCount {
    #[schema(max_length = 64)]
    pub code: String,
    pub count: i64,
}

/// A count for one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageCount {
    pub stage: Stage,
    pub count: i64,
}

/// Interests per opportunity.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityCount {
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub opportunity_id: String,
    pub count: i64,
}

/// How many interests went on from one stage to the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageConversion {
    pub from: Stage,
    pub to: Stage,
    /// Interests that ever reached `from`.
    pub reached: i64,
    /// Of those, how many reached `to` or went further.
    pub advanced: i64,
    /// `advanced / reached`, absent when none reached `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
}

/// The median time interests spent in a stage before leaving it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StageDuration {
    pub stage: Stage,
    pub median_days: f64,
}

/// The pipeline at a glance.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PipelineStats {
    /// Every stage, with how many interests are in it now.
    #[schema(max_items = 16)]
    pub by_stage: Vec<StageCount>,
    #[schema(max_items = 16)]
    pub by_engagement_model: Vec<CodeCount>,
    /// The 100 opportunities with the most interests, most first.
    #[schema(max_items = 100)]
    pub by_opportunity: Vec<OpportunityCount>,
    /// Between consecutive pipeline stages.
    #[schema(max_items = 16)]
    pub conversion: Vec<StageConversion>,
    /// Over stays that have ended.
    #[schema(max_items = 16)]
    pub median_days_in_stage: Vec<StageDuration>,
}

/// The public catalogue at a glance (published opportunities).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityStats {
    pub published: i64,
    /// Per projectSector code; a broad code (`transport`) counts its narrower codes' opportunities.
    #[schema(max_items = 64)]
    pub by_sector: Vec<CodeCount>,
    #[schema(max_items = 300)]
    pub by_host_country: Vec<CodeCount>,
    #[schema(max_items = 16)]
    pub by_engagement_model: Vec<CodeCount>,
    /// Total investment sought, per currency.
    #[schema(max_items = 300)]
    pub investment_sought: Vec<MoneyDto>,
}

fn codes(pairs: Vec<(String, i64)>) -> Vec<CodeCount> {
    pairs
        .into_iter()
        .map(|(code, count)| CodeCount { code, count })
        .collect()
}

impl From<PipelineFigures> for PipelineStats {
    fn from(figures: PipelineFigures) -> Self {
        PipelineStats {
            by_stage: figures
                .by_stage
                .into_iter()
                .map(|(stage, count)| StageCount { stage, count })
                .collect(),
            by_engagement_model: codes(figures.by_engagement_model),
            by_opportunity: figures
                .by_opportunity
                .into_iter()
                .map(|(opportunity_id, count)| OpportunityCount {
                    opportunity_id,
                    count,
                })
                .collect(),
            conversion: figures
                .conversion
                .into_iter()
                .map(|c| StageConversion {
                    from: c.from,
                    to: c.to,
                    reached: c.reached,
                    advanced: c.advanced,
                    rate: (c.reached > 0).then(|| c.advanced as f64 / c.reached as f64),
                })
                .collect(),
            median_days_in_stage: figures
                .median_seconds_in_stage
                .into_iter()
                .map(|(stage, seconds)| StageDuration {
                    stage,
                    median_days: seconds as f64 / 86_400.0,
                })
                .collect(),
        }
    }
}

impl From<CatalogueFigures> for OpportunityStats {
    fn from(figures: CatalogueFigures) -> Self {
        OpportunityStats {
            published: figures.published,
            by_sector: codes(figures.by_sector),
            by_host_country: codes(figures.by_host_country),
            by_engagement_model: codes(figures.by_engagement_model),
            investment_sought: figures
                .investment_sought
                .iter()
                .map(MoneyDto::from)
                .collect(),
        }
    }
}
