//! Figures for dashboards: the pipeline and the public catalogue at a glance.

use super::money::Money;
use super::stages::{PIPELINE, Stage};

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

/// How many opportunities the pipeline figures name: those with the most interests.
pub const TOP_OPPORTUNITIES: usize = 100;

/// The pipeline at a glance.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineFigures {
    pub by_stage: Vec<(Stage, i64)>,
    pub by_engagement_model: Vec<(String, i64)>,
    /// The [`TOP_OPPORTUNITIES`] opportunities with the most interests, most first.
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
