//! Values the service keeps for itself in the database, shared by every instance.

use diesel::prelude::*;
use rand::RngCore;

use super::DbConnection;
use super::schema::app_settings::dsl::*;

/// The name of the key that signs pagination cursors.
pub const CURSOR_KEY: &str = "cursor_key";

/// The setting a readiness probe writes, to learn that writes still succeed.
pub const READINESS_PROBE: &str = "readiness_probe";

/// Writes one setting, creating it when missing.
pub fn set(conn: &mut DbConnection, setting: &str, text: &str) -> QueryResult<()> {
    let updated = diesel::update(app_settings.filter(name.eq(setting)))
        .set(value.eq(text))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(app_settings)
            .values((name.eq(setting), value.eq(text)))
            .execute(conn)?;
    }
    Ok(())
}

/// Creates the settings every instance relies on, once; concurrent starts agree on one value.
pub fn ensure_defaults(conn: &mut DbConnection) -> QueryResult<()> {
    if get(conn, CURSOR_KEY)?.is_none() {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        let inserted = diesel::insert_into(app_settings)
            .values((name.eq(CURSOR_KEY), value.eq(hex)))
            .execute(conn);
        match inserted {
            // Another instance created it first: theirs is the one everybody reads.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// Reads one setting.
pub fn get(conn: &mut DbConnection, setting: &str) -> QueryResult<Option<String>> {
    app_settings
        .filter(name.eq(setting))
        .select(value)
        .first(conn)
        .optional()
}
