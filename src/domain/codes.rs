//! Codes the API accepts: OC4IDS codelists (verbatim from the standard's CSV files, embedded in
//! the binary), ISO 3166-1 countries and ISO 4217 currencies (from maintained crates), and our own
//! enums. Each code type can only hold a listed code, and documents its list in the OpenAPI schema.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// One entry of a codelist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CodeEntry {
    /// The code, exactly as the API accepts and returns it.
    #[schema(max_length = 64)]
    pub code: String,
    /// A short human-readable label.
    #[schema(max_length = 256)]
    pub title: String,
}

/// A named list of codes with titles.
#[derive(Debug, Clone)]
pub struct Codelist {
    pub name: &'static str,
    pub entries: Vec<CodeEntry>,
    /// Each code's position in `entries`: every stored code is checked again when it is read
    /// (249 countries were scanned one by one for each partner country of each listed row).
    positions: HashMap<String, usize>,
}

impl Codelist {
    fn new(name: &'static str, entries: Vec<CodeEntry>) -> Self {
        let positions = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.clone(), i))
            .collect();
        Codelist {
            name,
            entries,
            positions,
        }
    }

    pub fn contains(&self, code: &str) -> bool {
        self.positions.contains_key(code)
    }

    pub fn title_of(&self, code: &str) -> Option<&str> {
        self.positions
            .get(code)
            .map(|&i| self.entries[i].title.as_str())
    }

    fn codes(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.code.clone()).collect()
    }
}

/// Reads the Code and Title columns of an OC4IDS codelist CSV.
fn from_csv(name: &'static str, csv_text: &str) -> Codelist {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let entries = reader
        .records()
        .map(|record| {
            let record = record.expect("embedded OC4IDS codelists are valid CSV");
            let code = record.get(0).unwrap_or_default().to_owned();
            let title = record.get(1).unwrap_or_default();
            // One OC4IDS title is lower case ("implementation"); capitalise for display.
            let mut chars = title.chars();
            let title = match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => code.clone(),
            };
            CodeEntry { code, title }
        })
        .collect();
    Codelist::new(name, entries)
}

pub static PROJECT_SECTOR: LazyLock<Codelist> =
    LazyLock::new(|| from_csv("projectSector", include_str!("codelists/projectSector.csv")));
pub static PROJECT_TYPE: LazyLock<Codelist> =
    LazyLock::new(|| from_csv("projectType", include_str!("codelists/projectType.csv")));
pub static PROJECT_STATUS: LazyLock<Codelist> =
    LazyLock::new(|| from_csv("projectStatus", include_str!("codelists/projectStatus.csv")));
pub static DOCUMENT_TYPE: LazyLock<Codelist> =
    LazyLock::new(|| from_csv("documentType", include_str!("codelists/documentType.csv")));

/// Currencies usable for money: current ISO 4217 codes with a minor unit (no funds, metals or
/// superseded codes).
pub static CURRENCY: LazyLock<Codelist> = LazyLock::new(|| {
    use iso_currency::{Currency, IntoEnumIterator};
    let mut entries: Vec<CodeEntry> = Currency::iter()
        .filter(|c| usable_currency(*c))
        .map(|c| CodeEntry {
            code: c.code().to_owned(),
            title: c.name().to_owned(),
        })
        .collect();
    entries.sort_by(|a, b| a.code.cmp(&b.code));
    Codelist::new("currency", entries)
});

/// ISO 3166-1 alpha-2 country codes.
pub static COUNTRY: LazyLock<Codelist> = LazyLock::new(|| {
    let mut entries: Vec<CodeEntry> = isocountry::CountryCode::as_array()
        .iter()
        .map(|c| CodeEntry {
            code: c.alpha2().to_owned(),
            title: c.name().to_owned(),
        })
        .collect();
    entries.sort_by(|a, b| a.code.cmp(&b.code));
    Codelist::new("country", entries)
});

pub(crate) fn usable_currency(currency: iso_currency::Currency) -> bool {
    currency.exponent().is_some()
        && !currency.is_fund()
        && !currency.is_special()
        && currency.is_superseded().is_none()
}

/// A string code type restricted to one codelist.
macro_rules! listed_code {
    ($(#[$doc:meta])* $name:ident, $list:ident, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The codelist this code belongs to.
            pub fn codelist() -> &'static Codelist {
                &$list
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a value read from the database, where only valid codes are stored.
            pub fn from_db(code: String) -> Self {
                $name(code)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(code: String) -> Result<Self, String> {
                if $list.contains(&code) {
                    Ok($name(code))
                } else {
                    Err(format!(
                        "{:?} is not a code of the {} codelist (see /v1/codelists/{})",
                        code, $list.name, $list.name
                    ))
                }
            }
        }

        impl From<$name> for String {
            fn from(code: $name) -> String {
                code.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::String))
                    .description(Some(format!(
                        "A code of the `{}` codelist (GET /v1/codelists/{}).",
                        $list.name, $list.name
                    )))
                    .enum_values(Some($list.codes()))
                    .examples([$example])
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

listed_code!(
    /// An OC4IDS projectSector code, e.g. `transport.road`.
    SectorCode, PROJECT_SECTOR, "transport.road");
listed_code!(
    /// An OC4IDS projectType code.
    ProjectType, PROJECT_TYPE, "construction");
listed_code!(
    /// An OC4IDS projectStatus code.
    ProjectStatus, PROJECT_STATUS, "preparation");
listed_code!(
    /// An OC4IDS documentType code.
    DocumentType, DOCUMENT_TYPE, "feasibilityStudy");
listed_code!(
    /// An ISO 3166-1 alpha-2 country code, upper case.
    CountryCode, COUNTRY, "PK");
listed_code!(
    /// An ISO 4217 currency code with a minor unit.
    CurrencyCode, CURRENCY, "USD");

impl SectorCode {
    /// This code and every broader code above it: `transport.road` → `transport.road`, `transport`.
    pub fn with_ancestors(&self) -> Vec<String> {
        let mut codes = vec![self.0.clone()];
        let mut rest = self.0.as_str();
        while let Some((parent, _)) = rest.rsplit_once('.') {
            codes.push(parent.to_owned());
            rest = parent;
        }
        codes
    }
}

impl CurrencyCode {
    /// Digits after the decimal point in this currency (2 for USD, 0 for JPY, 3 for KWD).
    pub fn minor_digits(&self) -> u32 {
        iso_currency::Currency::from_code(&self.0)
            .and_then(|c| c.exponent())
            .map(u32::from)
            .unwrap_or(2)
    }
}

/// Our own enums: camelCase codes, each with a title, listed as codelists.
macro_rules! code_enum {
    // `$code` is a `tt`, not a `literal`: utoipa's derive cannot read a `literal` fragment inside
    // `#[serde(rename = …)]` and would document the Rust variant names instead.
    ($(#[$doc:meta])* $name:ident, $list:literal, { $($(#[$vdoc:meta])* $variant:ident = $code:tt : $title:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $code)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The name of the codelist.
            pub const LIST: &'static str = $list;

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn title(self) -> &'static str {
                match self { $($name::$variant => $title),+ }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// Reads a value stored by this program; unknown text is a corrupted row.
            pub fn from_db(code: &str) -> Result<Self, String> {
                Self::parse(code).ok_or_else(|| format!("unknown {} {:?} in the database", $list, code))
            }

            pub fn codelist() -> Codelist {
                Codelist::new(
                    $list,
                    Self::ALL
                        .iter()
                        .map(|v| CodeEntry { code: v.as_str().into(), title: v.title().into() })
                        .collect(),
                )
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_enum!(
    /// Where an opportunity is in its listing lifecycle: `draft` → `published` → `closed` | `archived`;
    /// an admin may restore an archived one as a draft.
    ListingStatus, "listingStatus", {
        /// Being prepared; visible to officers only.
        Draft = "draft": "Draft",
        /// Open to investors and the public.
        Published = "published": "Published",
        /// No longer taking expressions of interest; still visible.
        Closed = "closed": "Closed",
        /// Withdrawn from the catalogue; visible to officers only.
        Archived = "archived": "Archived",
    }
);

impl ListingStatus {
    /// Whether investors and the public may see an opportunity in this status.
    pub fn is_public(self) -> bool {
        matches!(self, ListingStatus::Published | ListingStatus::Closed)
    }

    /// The statuses an opportunity may move to from this one.
    pub fn next(self) -> &'static [ListingStatus] {
        match self {
            ListingStatus::Draft => &[ListingStatus::Published, ListingStatus::Archived],
            ListingStatus::Published => &[ListingStatus::Closed, ListingStatus::Archived],
            ListingStatus::Closed => &[ListingStatus::Published, ListingStatus::Archived],
            ListingStatus::Archived => &[],
        }
    }

    /// Where an admin may bring an archived listing back to: a draft, which officers can
    /// correct and publish again (publishing checks it is complete, as for any draft).
    pub fn restored(self) -> Option<ListingStatus> {
        (self == ListingStatus::Archived).then_some(ListingStatus::Draft)
    }
}

code_enum!(
    /// How an investor may take part.
    EngagementModel, "engagementModel", {
        /// Government-to-government.
        G2g = "g2g": "Government-to-government",
        /// Business-to-business.
        B2b = "b2b": "Business-to-business",
        /// Public–private partnership.
        Ppp = "ppp": "Public-private partnership",
        JointVenture = "jointVenture": "Joint venture",
        Concession = "concession": "Concession",
        /// Engineering, procurement and construction with financing.
        EpcFinance = "epcFinance": "EPC plus finance",
        Equity = "equity": "Equity investment",
        Debt = "debt": "Debt financing",
    }
);

code_enum!(
    /// The contractual form of a public–private partnership.
    PppModel, "pppModel", {
        Bot = "bot": "Build-operate-transfer",
        Boot = "boot": "Build-own-operate-transfer",
        Boo = "boo": "Build-own-operate",
        Bto = "bto": "Build-transfer-operate",
        Dbfo = "dbfo": "Design-build-finance-operate",
        Dbfot = "dbfot": "Design-build-finance-operate-transfer",
        Dbo = "dbo": "Design-build-operate",
        Om = "om": "Operation and maintenance",
        Lease = "lease": "Lease",
    }
);

code_enum!(
    /// What kind of organisation a party is.
    PartyKind, "partyKind", {
        Government = "government": "Government or ministry",
        GovernmentAgency = "governmentAgency": "Government agency",
        StateOwnedEnterprise = "stateOwnedEnterprise": "State-owned enterprise",
        Company = "company": "Company",
        Consortium = "consortium": "Consortium",
        DevelopmentFinanceInstitution = "developmentFinanceInstitution": "Development finance institution",
        Bank = "bank": "Bank",
        Fund = "fund": "Fund",
        Other = "other": "Other",
    }
);

code_enum!(
    /// What an API key may do.
    Role, "role", {
        /// Everything, including API keys.
        Admin = "admin": "Administrator",
        /// Everything on the catalogue and the pipeline.
        Officer = "officer": "Officer of the host agency",
        /// The public catalogue, plus its own party's interests.
        Investor = "investor": "Investor (bound to one party)",
    }
);

/// Every codelist the API serves, by name.
pub fn codelist(name: &str) -> Option<Cow<'static, Codelist>> {
    let owned = |list: Codelist| Some(Cow::Owned(list));
    match name {
        "projectSector" => Some(Cow::Borrowed(&*PROJECT_SECTOR)),
        "projectType" => Some(Cow::Borrowed(&*PROJECT_TYPE)),
        "projectStatus" => Some(Cow::Borrowed(&*PROJECT_STATUS)),
        "documentType" => Some(Cow::Borrowed(&*DOCUMENT_TYPE)),
        "currency" => Some(Cow::Borrowed(&*CURRENCY)),
        "country" => Some(Cow::Borrowed(&*COUNTRY)),
        ListingStatus::LIST => owned(ListingStatus::codelist()),
        EngagementModel::LIST => owned(EngagementModel::codelist()),
        PppModel::LIST => owned(PppModel::codelist()),
        PartyKind::LIST => owned(PartyKind::codelist()),
        Role::LIST => owned(Role::codelist()),
        "eventType" => owned(Codelist::new(
            "eventType",
            crate::domain::events::EVENT_TYPES
                .iter()
                .map(|(code, title)| CodeEntry {
                    code: (*code).into(),
                    title: (*title).into(),
                })
                .collect(),
        )),
        "stage" => owned(Codelist::new(
            "stage",
            crate::domain::stages::Stage::ALL
                .iter()
                .map(|s| CodeEntry {
                    code: s.as_str().into(),
                    title: s.title().into(),
                })
                .collect(),
        )),
        _ => None,
    }
}

/// The names [`codelist`] answers, in a stable order.
pub const CODELIST_NAMES: &[&str] = &[
    "country",
    "currency",
    "documentType",
    EngagementModel::LIST,
    "eventType",
    ListingStatus::LIST,
    PartyKind::LIST,
    PppModel::LIST,
    "projectSector",
    "projectStatus",
    "projectType",
    Role::LIST,
    "stage",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves_to_a_non_empty_list() {
        for name in CODELIST_NAMES {
            let list = codelist(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(!list.entries.is_empty(), "{name} is empty");
            assert_eq!(list.name, *name);
        }
        assert!(codelist("nope").is_none());
    }

    #[test]
    fn oc4ids_codes_are_taken_verbatim() {
        assert!(PROJECT_SECTOR.contains("transport.road"));
        assert!(PROJECT_SECTOR.contains("cultureSportsAndRecreation"));
        assert!(PROJECT_STATUS.contains("identification"));
        assert_eq!(
            PROJECT_STATUS.title_of("implementation"),
            Some("Implementation")
        );
        assert!(!PROJECT_SECTOR.contains("Transport"));
    }

    #[test]
    fn sector_ancestors_include_the_broader_codes() {
        let code = SectorCode::try_from("transport.road".to_owned()).unwrap();
        assert_eq!(code.with_ancestors(), vec!["transport.road", "transport"]);
    }

    #[test]
    fn countries_and_currencies_come_from_the_iso_lists() {
        assert!(CountryCode::try_from("AZ".to_owned()).is_ok());
        assert!(CountryCode::try_from("XX".to_owned()).is_err());
        assert!(CountryCode::try_from("pk".to_owned()).is_err());
        let pkr = CurrencyCode::try_from("PKR".to_owned()).unwrap();
        assert_eq!(pkr.minor_digits(), 2);
        let jpy = CurrencyCode::try_from("JPY".to_owned()).unwrap();
        assert_eq!(jpy.minor_digits(), 0);
        assert!(CurrencyCode::try_from("XAU".to_owned()).is_err());
    }

    #[test]
    fn listing_status_moves_forward_only_as_allowed() {
        assert!(
            ListingStatus::Draft
                .next()
                .contains(&ListingStatus::Published)
        );
        assert!(ListingStatus::Archived.next().is_empty());
        assert!(!ListingStatus::Draft.is_public());
        assert!(ListingStatus::Closed.is_public());
    }
}
