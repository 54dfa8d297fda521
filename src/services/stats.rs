//! Figures for dashboards, computed by the database (grouped counts, sums and medians); only
//! the handful of resulting rows are combined here.

use super::AppState;
use crate::domain::access::Caller;
use crate::domain::codes::CurrencyCode;
use crate::domain::money::Money;
use crate::domain::stages::Stage;
use crate::domain::stats::{CatalogueFigures, PipelineFigures, TOP_OPPORTUNITIES, conversions};
use crate::error::AppError;
use crate::persistence::interests::{self, GroupCount};
use crate::persistence::opportunities::{self, ENGAGEMENT_MODEL, SECTOR};

fn pairs(rows: Vec<GroupCount>) -> Vec<(String, i64)> {
    rows.into_iter().map(|r| (r.key, r.count)).collect()
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
                by_opportunity: pairs(interests::top_opportunities_by_interests(
                    conn,
                    TOP_OPPORTUNITIES,
                )?),
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
