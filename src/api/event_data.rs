//! What each event type carries, typed: the payloads services build events from, and the schemas
//! that describe them to clients. The feed (`EventResponse`), the webhooks section of the
//! document and an interest's timeline (`InterestEventResponse`) are tagged unions over `type`,
//! one variant per type, built here from [`EVENT_TYPES`] and [`payload_schema`] so that a new
//! event type cannot be emitted without a documented payload (see the tests).

use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{
    Discriminator, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};

use crate::domain::codes::{EngagementModel, ListingStatus};
use crate::domain::events::EVENT_TYPES;
use crate::domain::interests::EventKind;
use crate::domain::stages::Stage;

/// `data` of a party, person, initiative or webhook event: which one changed (fetch it for the
/// rest; after a deletion there is nothing to fetch).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectData {
    #[schema(max_length = 64)]
    pub id: String,
}

/// `data` of an opportunity event: the listing as it is after the change.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityEventData {
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub id: String,
    #[schema(max_length = 300)]
    pub title: String,
    pub listing_status: ListingStatus,
}

/// `data` of `interest.created`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterestCreatedData {
    #[schema(value_type = crate::domain::ids::InterestId)]
    pub id: String,
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub opportunity_id: String,
    /// The lead party.
    #[schema(value_type = crate::domain::ids::PartyId)]
    pub party_id: String,
    /// Always `expressed`.
    pub stage: Stage,
    pub engagement_model: EngagementModel,
}

/// `data` of `interest.updated`: which of the changes investors may know of happened (the
/// interest's timeline has the values).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterestUpdatedData {
    #[schema(value_type = crate::domain::ids::InterestId)]
    pub id: String,
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub opportunity_id: String,
    #[schema(value_type = crate::domain::ids::PartyId)]
    pub party_id: String,
    #[schema(value_type = Vec<TimelineEntryType>, max_items = 6)]
    pub changes: Vec<&'static str>,
}

/// `data` of `interest.stageChanged`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterestStageChangedData {
    #[schema(value_type = crate::domain::ids::InterestId)]
    pub id: String,
    #[schema(value_type = crate::domain::ids::OpportunityId)]
    pub opportunity_id: String,
    #[schema(value_type = crate::domain::ids::PartyId)]
    pub party_id: String,
    pub from: Stage,
    pub to: Stage,
    /// Why, when the officer gave a reason.
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    /// Present (true) when the move corrects a mistaken earlier one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub correction: bool,
    /// Present (true) when an officer shared the reason with the parties involved.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reason_shared: bool,
}

/// An event's payload as the JSON stored with it. Serializing these plain structs cannot fail
/// (no map has keys that are not strings).
pub fn data(payload: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(payload).unwrap_or(serde_json::Value::Null)
}

/// The schema of the `data` an event type carries.
pub fn payload_schema(kind: &str) -> Option<String> {
    let name = match kind {
        "interest.created" => InterestCreatedData::name(),
        "interest.updated" => InterestUpdatedData::name(),
        "interest.stageChanged" => InterestStageChangedData::name(),
        k if k.starts_with("opportunity.") => OpportunityEventData::name(),
        k if ["party.", "person.", "initiative.", "webhook."]
            .iter()
            .any(|p| k.starts_with(p)) =>
        {
            SubjectData::name()
        }
        _ => return None,
    };
    Some(name.into_owned())
}

/// `opportunity.stageChanged` → `OpportunityStageChanged`: the stem of a variant's schema name.
pub fn pascal(kind: &str) -> String {
    kind.split(['.', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// A string that is exactly `value`.
fn exactly(value: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([value.to_owned()]))
}

fn date_time() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

/// A tagged union over `type`: one referenced variant per tag.
fn union(variants: impl IntoIterator<Item = (String, String)>, description: &str) -> Schema {
    let variants: Vec<(String, String)> = variants.into_iter().collect();
    let mut one_of = OneOfBuilder::new().description(Some(description));
    for (_, name) in &variants {
        one_of = one_of.item(Ref::from_schema_name(name.clone()));
    }
    let mapping = variants
        .iter()
        .map(|(tag, name)| (tag.clone(), format!("#/components/schemas/{name}")));
    one_of
        .discriminator(Some(Discriminator::with_mapping("type", mapping)))
        .build()
        .into()
}

/// The schema name of the feed's variant for `kind`.
pub fn event_schema_name(kind: &str) -> String {
    format!("{}Event", pascal(kind))
}

/// One event of the feed, of type `kind`.
fn feed_variant(kind: &str, payload: &str, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property("id", Ref::from_schema_name("EventId"))
        .property("type", exactly(kind))
        .property(
            "subjectId",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(64))
                .description(Some("The id of the resource that changed.")),
        )
        .property("data", Ref::from_schema_name(payload))
        .property("occurredAt", date_time())
        .required("id")
        .required("type")
        .required("subjectId")
        .required("data")
        .required("occurredAt")
        .into()
}

/// The payload schemas, for a union's `schemas()`.
fn payloads(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    fn add<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
    add::<SubjectData>(schemas);
    add::<OpportunityEventData>(schemas);
    add::<InterestCreatedData>(schemas);
    add::<InterestUpdatedData>(schemas);
    add::<InterestStageChangedData>(schemas);
    add::<TimelineEntryType>(schemas);
}

/// The feed's event: a union over every type in [`EVENT_TYPES`].
pub struct TypedEvent;

impl utoipa::PartialSchema for TypedEvent {
    fn schema() -> RefOr<Schema> {
        RefOr::T(union(
            EVENT_TYPES
                .iter()
                .map(|(kind, _)| ((*kind).to_owned(), event_schema_name(kind))),
            "One change; `type` tells which, and so the shape of `data` (see `GET /v1/codelists/eventType`).",
        ))
    }
}

impl ToSchema for TypedEvent {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("EventResponse")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for (kind, title) in EVENT_TYPES {
            if let Some(payload) = payload_schema(kind) {
                schemas.push((
                    event_schema_name(kind),
                    RefOr::T(feed_variant(kind, &payload, title)),
                ));
            }
        }
        payloads(schemas);
    }
}

/// The type of an interest's timeline entry.
pub struct TimelineEntryType;

impl utoipa::PartialSchema for TimelineEntryType {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(EventKind::ALL.iter().map(|k| k.as_str())))
            .into()
    }
}

impl ToSchema for TimelineEntryType {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("TimelineEntryType")
    }
}

/// The `details` of a timeline entry of `kind`.
fn timeline_details(kind: EventKind) -> RefOr<Schema> {
    let change = |value: RefOr<Schema>| -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("The value before and after."))
            .property("from", value.clone())
            .property("to", value)
            .required("from")
            .required("to")
            .into()
    };
    let nullable = |name: &str| -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(Ref::from_schema_name(name))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into()
    };
    let empty = || -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("Nothing more: the entry's own fields say it all."))
            .max_properties(Some(0))
            .into()
    };
    match kind {
        EventKind::Created => ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("stage", Ref::from_schema_name("Stage"))
            .property("engagementModel", Ref::from_schema_name("EngagementModel"))
            .required("stage")
            .required("engagementModel")
            .into(),
        EventKind::Assigned => change(nullable("PersonId")),
        EventKind::AmountChanged => change(nullable("MoneyDto")),
        EventKind::ProbabilityChanged => change(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(0))
                .maximum(Some(100))
                .into(),
        ),
        EventKind::StageChanged => ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "`correction: true` when the move corrects a mistaken one; `reasonShared: true` when an officer shared the reason with the parties.",
            ))
            .property(
                "correction",
                ObjectBuilder::new().schema_type(Type::Boolean),
            )
            .property(
                "reasonShared",
                ObjectBuilder::new().schema_type(Type::Boolean),
            )
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ))
            .into(),
        EventKind::NotesChanged => empty(),
    }
}

/// The schema name of the timeline's variant for `kind`.
fn entry_schema_name(kind: EventKind) -> String {
    format!("{}Entry", pascal(kind.as_str()))
}

/// One timeline entry of type `kind`: the fields every entry has, `type` fixed, and its details.
fn timeline_variant(kind: EventKind) -> Schema {
    let stage = |what: &str| -> RefOr<Schema> {
        utoipa::openapi::schema::AllOfBuilder::new()
            .item(Ref::from_schema_name("Stage"))
            .description(Some(what))
            .into()
    };
    let mut entry = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("id", Ref::from_schema_name("EventId"))
        .property("type", exactly(kind.as_str()))
        .property("details", timeline_details(kind))
        .property(
            "actorKeyId",
            utoipa::openapi::schema::AllOfBuilder::new()
                .item(Ref::from_schema_name("ApiKeyId"))
                .description(Some("The API key that made the change.")),
        )
        .property("actorRole", Ref::from_schema_name("Role"))
        .property("occurredAt", date_time())
        .required("id")
        .required("type")
        .required("details")
        .required("occurredAt");
    if kind == EventKind::StageChanged {
        entry = entry
            .property("from", stage("The stage it left."))
            .property("to", stage("The stage it moved to."))
            .property(
                "reason",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(2000))
                    .description(Some("Why, when the officer gave a reason.")),
            )
            .required("from")
            .required("to");
    }
    if kind == EventKind::Created {
        entry = entry
            .property("to", stage("Always `expressed`."))
            .required("to");
    }
    if kind == EventKind::NotesChanged {
        entry = entry.description(Some(
            "Officers only: the notes changed (read the interest).",
        ));
    }
    entry.into()
}

/// An entry of an interest's timeline: a union over its [`TimelineEntryType`]s.
pub struct TypedTimelineEntry;

impl utoipa::PartialSchema for TypedTimelineEntry {
    fn schema() -> RefOr<Schema> {
        RefOr::T(union(
            EventKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), entry_schema_name(*k))),
            "One entry of an interest's timeline; `type` tells which, and so the shape of `details`.",
        ))
    }
}

impl ToSchema for TypedTimelineEntry {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("InterestEventResponse")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for kind in EventKind::ALL {
            schemas.push((entry_schema_name(*kind), RefOr::T(timeline_variant(*kind))));
        }
        payloads(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_a_documented_payload() {
        let missing: Vec<&str> = EVENT_TYPES
            .iter()
            .map(|(kind, _)| *kind)
            .filter(|kind| payload_schema(kind).is_none())
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
    }

    #[test]
    fn variant_names_follow_the_type() {
        assert_eq!(
            event_schema_name("interest.stageChanged"),
            "InterestStageChangedEvent"
        );
        assert_eq!(
            entry_schema_name(EventKind::AmountChanged),
            "InterestAmountChangedEntry"
        );
    }
}
