//! Money as the API writes it: an exact decimal string and an ISO 4217 currency.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::parse::Problems;
use crate::domain::codes::CurrencyCode;
use crate::domain::money::Money;

/// An exact amount of money.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyDto {
    /// A plain decimal string with at most the currency's number of decimals; never rounded.
    #[validate(length(min = 1, max = 32))]
    #[schema(
        max_length = 20,
        pattern = r"^[0-9]{1,15}(\.[0-9]{1,4})?$",
        example = "1700000000.00"
    )]
    pub amount: String,
    #[schema(value_type = CurrencyCode)]
    pub currency: String,
}

impl MoneyDto {
    fn parse(&self) -> Result<Money, Vec<(&'static str, String)>> {
        let currency =
            CurrencyCode::try_from(self.currency.clone()).map_err(|e| vec![("/currency", e)])?;
        Money::parse(&self.amount, currency).map_err(|e| vec![("/amount", e)])
    }
}

impl MoneyDto {
    /// The money, or its problems recorded under `base`.
    pub fn parse_into(&self, problems: &mut Problems, base: &str) -> Option<Money> {
        match self.parse() {
            Ok(money) => Some(money),
            Err(errors) => {
                for (pointer, detail) in errors {
                    problems.add(format!("{base}{pointer}"), detail);
                }
                None
            }
        }
    }
}

impl From<&Money> for MoneyDto {
    fn from(money: &Money) -> Self {
        MoneyDto {
            amount: money.amount(),
            currency: money.currency().to_string(),
        }
    }
}

/// Optional money, or its problems recorded under `base`.
pub fn money(
    problems: &mut Problems,
    base: &str,
    value: &Option<MoneyDto>,
) -> Option<Option<Money>> {
    match value {
        None => Some(None),
        Some(dto) => dto.parse_into(problems, base).map(Some),
    }
}
