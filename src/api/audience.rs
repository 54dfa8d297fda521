//! Every field that not everyone may see, declared once here, and the one function that applies
//! the declaration to what leaves the service: an answer, a timeline entry, an event of the feed,
//! a webhook body. The OpenAPI document marks the same fields (`x-audience`).

use serde_json::Value;

use crate::domain::audience::Audience;
use crate::domain::interests::EventKind;

/// A field of a schema that only `audience` may see — or also the parties involved when the
/// object's `shared_by` flag is true (an officer chose to share it).
pub struct Restricted {
    pub schema: &'static str,
    pub field: &'static str,
    pub audience: Audience,
    pub shared_by: Option<&'static str>,
}

const fn internal(schema: &'static str, field: &'static str) -> Restricted {
    Restricted {
        schema,
        field,
        audience: Audience::Internal,
        shared_by: None,
    }
}

const fn internal_unless_shared(schema: &'static str, field: &'static str) -> Restricted {
    Restricted {
        schema,
        field,
        audience: Audience::Internal,
        shared_by: Some("reasonShared"),
    }
}

/// The declaration: everything else in an answer is for whoever may see the resource.
pub const RESTRICTED: &[Restricted] = &[
    internal("InterestResponse", "probability"),
    internal("InterestResponse", "probabilityOverridden"),
    internal("InterestResponse", "assigneeId"),
    internal("InterestResponse", "notes"),
    internal_unless_shared("InterestStageChangedEntry", "reason"),
    internal_unless_shared("InterestStageChangedData", "reason"),
];

/// Who may see a timeline entry (and so a change named in `interest.updated`) of `kind`: the
/// assignment, the probability and the notes are the officers' own.
pub fn entry_audience(kind: EventKind) -> Audience {
    match kind {
        EventKind::Assigned | EventKind::ProbabilityChanged | EventKind::NotesChanged => {
            Audience::Internal
        }
        EventKind::Created | EventKind::StageChanged | EventKind::AmountChanged => Audience::Party,
    }
}

/// Removes from `value` (an object of `schema`) every field `viewer` may not see.
pub fn redact(schema: &str, value: &mut Value, viewer: Audience) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    for restricted in RESTRICTED.iter().filter(|r| r.schema == schema) {
        let shared = restricted
            .shared_by
            .is_some_and(|flag| object.get(flag) == Some(&Value::Bool(true)));
        let audience = if shared {
            Audience::Party
        } else {
            restricted.audience
        };
        if !viewer.sees(audience) {
            object.remove(restricted.field);
        }
    }
}

/// Whether `viewer` sees `field` of `schema` (`shared`: the object's sharing flag is set).
pub fn visible(schema: &str, field: &str, viewer: Audience, shared: bool) -> bool {
    RESTRICTED
        .iter()
        .find(|r| r.schema == schema && r.field == field)
        .is_none_or(|r| {
            viewer.sees(if shared && r.shared_by.is_some() {
                Audience::Party
            } else {
                r.audience
            })
        })
}

/// `value` serialized and redacted for `viewer`.
pub fn shown(schema: &str, value: &impl serde::Serialize, viewer: Audience) -> Value {
    let mut value = serde_json::to_value(value).unwrap_or(Value::Null);
    redact(schema, &mut value, viewer);
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_party_sees_a_reason_only_when_an_officer_shared_it() {
        let mut kept = json!({"reason": "MoU signed", "reasonShared": true, "to": "mouSigned"});
        redact("InterestStageChangedEntry", &mut kept, Audience::Party);
        assert_eq!(kept["reason"], "MoU signed");
        let mut dropped = json!({"reason": "weak financials", "to": "rejected"});
        redact("InterestStageChangedEntry", &mut dropped, Audience::Party);
        assert!(dropped.get("reason").is_none());
        let mut officer = json!({"reason": "weak financials"});
        redact(
            "InterestStageChangedEntry",
            &mut officer,
            Audience::Internal,
        );
        assert_eq!(officer["reason"], "weak financials");
    }
}
