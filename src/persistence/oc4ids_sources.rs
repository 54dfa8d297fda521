//! The OC4IDS projects opportunities were imported from, kept verbatim beside what InvestDesk
//! made of them (see the migration `oc4ids_sources`).

use std::collections::HashMap;

use diesel::prelude::*;

use super::DbConnection;
use super::schema::oc4ids_sources;
use crate::domain::ids::OpportunityId;

/// An imported project as it came (JSON text), and as InvestDesk exported it right after.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct Source {
    pub opportunity_id: String,
    pub source: String,
    pub modelled: String,
}

/// Keeps (or replaces) the project an opportunity was imported from.
pub fn put(
    conn: &mut DbConnection,
    id: &OpportunityId,
    source: &str,
    modelled: &str,
) -> QueryResult<()> {
    diesel::delete(oc4ids_sources::table.find(id.as_str())).execute(conn)?;
    diesel::insert_into(oc4ids_sources::table)
        .values((
            oc4ids_sources::opportunity_id.eq(id.as_str()),
            oc4ids_sources::source.eq(source),
            oc4ids_sources::modelled.eq(modelled),
        ))
        .execute(conn)?;
    Ok(())
}

/// The sources of these opportunities (those that have one), by opportunity id.
pub fn of(conn: &mut DbConnection, ids: &[&OpportunityId]) -> QueryResult<HashMap<String, Source>> {
    let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let rows: Vec<Source> = oc4ids_sources::table
        .filter(oc4ids_sources::opportunity_id.eq_any(ids))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|s| (s.opportunity_id.clone(), s))
        .collect())
}
