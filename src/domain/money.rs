//! Exact money: integer minor units and an ISO 4217 currency. Never a float; an amount with more
//! decimals than the currency has is refused, not rounded.

use super::codes::CurrencyCode;

/// An exact, non-negative amount of one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    minor: i64,
    currency: CurrencyCode,
}

/// Why an amount was refused.
pub type AmountError = String;

impl Money {
    /// Builds money from the stored minor units.
    pub fn from_minor(minor: i64, currency: CurrencyCode) -> Self {
        Money { minor, currency }
    }

    /// Parses a decimal string such as `"1700000000.00"` in `currency`.
    pub fn parse(amount: &str, currency: CurrencyCode) -> Result<Self, AmountError> {
        let minor = parse_minor_units(amount, currency.minor_digits())?;
        Ok(Money { minor, currency })
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> &CurrencyCode {
        &self.currency
    }

    /// The amount as a decimal string with exactly the currency's number of decimals.
    pub fn amount(&self) -> String {
        format_minor_units(self.minor, self.currency.minor_digits())
    }
}

/// The largest amount accepted in whole units: keeps every currency's minor units inside i64.
const MAX_INTEGER_DIGITS: usize = 15;

/// Parses a plain decimal (digits, optionally `.` and digits) into minor units.
pub fn parse_minor_units(text: &str, digits: u32) -> Result<i64, AmountError> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, fraction),
        None => (text, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || text.ends_with('.') {
        return Err(format!(
            "{text:?} is not a plain decimal amount such as \"1500000.00\" (digits, optionally a point and decimals; no sign, exponent or separators)"
        ));
    }
    let whole = whole.trim_start_matches('0');
    if whole.len() > MAX_INTEGER_DIGITS {
        return Err(format!(
            "amounts are limited to {MAX_INTEGER_DIGITS} digits before the decimal point"
        ));
    }
    if fraction.len() > digits as usize {
        return Err(match digits {
            0 => "this currency has no minor unit: send a whole amount".to_owned(),
            d => format!("this currency has {d} decimal places; {text:?} has more"),
        });
    }
    let mut minor: i64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| "amount out of range".to_owned())?
    };
    for _ in 0..digits {
        minor = minor.checked_mul(10).ok_or("amount out of range")?;
    }
    let mut fraction_minor: i64 = 0;
    for (i, b) in fraction.bytes().enumerate() {
        let place = digits as usize - 1 - i;
        fraction_minor += i64::from(b - b'0') * 10_i64.pow(place as u32);
    }
    minor
        .checked_add(fraction_minor)
        .ok_or_else(|| "amount out of range".to_owned())
}

/// Formats minor units with exactly `digits` decimals.
pub fn format_minor_units(minor: i64, digits: u32) -> String {
    // The digits of the minor units, with the point put in (two amounts per listed opportunity;
    // `format!` was 1.4 % of a list page).
    let mut text = minor.unsigned_abs().to_string();
    let digits = digits as usize;
    if digits > 0 {
        if text.len() <= digits {
            text.insert_str(0, &"0".repeat(digits + 1 - text.len()));
        }
        text.insert(text.len() - digits, '.');
    }
    if minor < 0 {
        text.insert(0, '-');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> CurrencyCode {
        CurrencyCode::try_from(code.to_owned()).unwrap()
    }

    #[test]
    fn amounts_are_exact() {
        let m = Money::parse("19.99", currency("USD")).unwrap();
        assert_eq!(m.minor(), 1999);
        assert_eq!(m.amount(), "19.99");
        let big = Money::parse("12345678901234.56", currency("USD")).unwrap();
        assert_eq!(big.amount(), "12345678901234.56");
        assert_eq!(
            Money::parse("1700000000", currency("USD"))
                .unwrap()
                .amount(),
            "1700000000.00"
        );
        assert_eq!(Money::parse("0.5", currency("USD")).unwrap().minor(), 50);
        assert_eq!(
            Money::parse("254000000000", currency("PKR"))
                .unwrap()
                .minor(),
            25_400_000_000_000
        );
    }

    #[test]
    fn extra_decimals_are_refused_not_rounded() {
        assert!(Money::parse("19.999", currency("USD")).is_err());
        assert!(Money::parse("10.5", currency("JPY")).is_err());
        assert_eq!(
            Money::parse("1.234", currency("KWD")).unwrap().minor(),
            1234
        );
    }

    #[test]
    fn malformed_amounts_are_refused() {
        for bad in [
            "", "-1", "+1", "1e9", "1,000", " 1", "1.", ".5", "NaN", "1.2.3", "١٢",
        ] {
            assert!(Money::parse(bad, currency("USD")).is_err(), "{bad:?}");
        }
        assert!(Money::parse("9999999999999999", currency("USD")).is_err());
    }

    #[test]
    fn formatting_pads_decimals() {
        assert_eq!(format_minor_units(5, 2), "0.05");
        assert_eq!(format_minor_units(1234, 3), "1.234");
        assert_eq!(format_minor_units(7, 0), "7");
        assert_eq!(format_minor_units(0, 2), "0.00");
        assert_eq!(format_minor_units(100, 2), "1.00");
        assert_eq!(format_minor_units(120, 2), "1.20");
        assert_eq!(format_minor_units(12_345_600, 2), "123456.00");
    }
}
