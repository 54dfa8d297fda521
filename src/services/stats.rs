//! Figures for dashboards, computed by the database (grouped counts, sums and medians); only
//! the handful of resulting rows are combined here.

use super::AppState;
use crate::domain::access::Caller;
use crate::domain::codes::CurrencyCode;
use crate::domain::money::Money;
use crate::domain::stages::{PIPELINE, Stage};
use crate::error::AppError;
use crate::persistence::interests::{self, GroupCount};
use crate::persistence::opportunities::{self, ENGAGEMENT_MODEL, SECTOR};

/// How many interests went from one pipeline stage to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    pub from: Stage,
    pub to: Stage,
    /// Interests that ever reached `from`.
    pub reached: i64,
    /// Of those, the ones that went on to `to` or further.
    pub advanced: i64,
}

/// The pipeline at a glance.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineFigures {
    pub by_stage: Vec<(Stage, i64)>,
    pub by_engagement_model: Vec<(String, i64)>,
    pub by_opportunity: Vec<(String, i64)>,
    pub conversion: Vec<Conversion>,
    /// Median seconds spent in each stage, over stays that have ended.
    pub median_seconds_in_stage: Vec<(Stage, i64)>,
}

/// The public catalogue at a glance.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogueFigures {
    pub published: i64,
    pub by_sector: Vec<(String, i64)>,
    pub by_host_country: Vec<(String, i64)>,
    pub by_engagement_model: Vec<(String, i64)>,
    pub investment_sought: Vec<Money>,
}

fn pairs(rows: Vec<GroupCount>) -> Vec<(String, i64)> {
    rows.into_iter().map(|r| (r.key, r.count)).collect()
}

/// Conversion between consecutive stages, from how many interests reached each stage at most.
pub fn conversions(furthest: &[(Stage, i64)]) -> Vec<Conversion> {
    let reached = |stage: Stage| -> i64 {
        let rank = stage.rank().unwrap_or(usize::MAX);
        furthest
            .iter()
            .filter(|(s, _)| s.rank().is_some_and(|r| r >= rank))
            .map(|(_, n)| n)
            .sum()
    };
    PIPELINE
        .windows(2)
        .map(|pair| Conversion {
            from: pair[0],
            to: pair[1],
            reached: reached(pair[0]),
            advanced: reached(pair[1]),
        })
        .collect()
}

pub async fn pipeline(state: &AppState, caller: &Caller) -> Result<PipelineFigures, AppError> {
    caller.require_staff()?;
    state
        .db
        .run(|conn| {
            let stage_of = |rows: Vec<GroupCount>| -> Vec<(Stage, i64)> {
                rows.into_iter()
                    .filter_map(|r| Stage::parse(&r.key).map(|s| (s, r.count)))
                    .collect()
            };
            let counted = stage_of(interests::count_interests_by(conn, "stage")?);
            let by_stage = Stage::ALL
                .iter()
                .map(|s| {
                    (
                        *s,
                        counted.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n),
                    )
                })
                .collect();
            let furthest = stage_of(interests::furthest_stage_counts(conn)?);
            let medians = interests::median_seconds_in_stage(conn)?
                .into_iter()
                .filter_map(|m| Some((Stage::parse(&m.stage)?, m.median_seconds?)))
                .collect();
            Ok(PipelineFigures {
                by_stage,
                by_engagement_model: pairs(interests::count_interests_by(
                    conn,
                    "engagement_model",
                )?),
                by_opportunity: pairs(interests::count_interests_by(conn, "opportunity_id")?),
                conversion: conversions(&furthest),
                median_seconds_in_stage: medians,
            })
        })
        .await
}

pub async fn catalogue(state: &AppState) -> Result<CatalogueFigures, AppError> {
    state
        .db
        .run(|conn| {
            let by_host_country = pairs(opportunities::published_count_by_host_country(conn)?);
            Ok(CatalogueFigures {
                published: by_host_country.iter().map(|(_, n)| n).sum(),
                by_sector: pairs(opportunities::published_count_by_facet(conn, SECTOR)?),
                by_engagement_model: pairs(opportunities::published_count_by_facet(
                    conn,
                    ENGAGEMENT_MODEL,
                )?),
                by_host_country,
                investment_sought: opportunities::published_investment_by_currency(conn)?
                    .into_iter()
                    .map(|t| Money::from_minor(t.total_minor, CurrencyCode::from_db(t.currency)))
                    .collect(),
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_counts_interests_that_reached_a_stage_or_beyond() {
        let furthest = [
            (Stage::Expressed, 2),
            (Stage::Screening, 1),
            (Stage::Negotiation, 1),
        ];
        let conversion = conversions(&furthest);
        assert_eq!(
            conversion[0],
            Conversion {
                from: Stage::Expressed,
                to: Stage::Screening,
                reached: 4,
                advanced: 2
            }
        );
        assert_eq!(conversion[1].reached, 2);
        assert_eq!(conversion[1].advanced, 1);
        assert_eq!(conversion.len(), PIPELINE.len() - 1);
        assert_eq!(conversion.last().unwrap().reached, 0);
    }
}
