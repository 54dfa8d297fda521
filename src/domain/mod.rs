//! Types every layer may use: ids, codes, money, roles, and the resources themselves. Each can
//! only hold a valid value: constructors parse and refuse.

pub mod access;
pub mod api_keys;
pub mod audience;
pub mod codes;
pub mod events;
pub mod ids;
pub mod initiatives;
pub mod interests;
pub mod money;
pub mod oc4ids;
pub mod opportunities;
pub mod page;
pub mod parties;
pub mod people;
pub mod stages;
pub mod stats;
pub mod stored;
pub mod webhooks;

/// Why a value could not be parsed, located by a JSON pointer relative to the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub pointer: String,
    pub detail: String,
}

impl ParseError {
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        ParseError {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}
