//! `src/persistence/schema.rs` (what the queries are compiled against) matches the database the
//! migrations build, on the backend the suite runs on: the same tables, the same columns, the same
//! nullability and compatible types. Run on both backends (CI does), this also keeps the two
//! migration trees in step: each must produce what `schema.rs` says, so both produce the same
//! tables and columns.

use std::collections::{BTreeMap, BTreeSet};

use diesel::RunQueryDsl;
use investdesk::persistence::DbConnection;

use crate::helpers::{on_database, spawn_app};

/// One column as `schema.rs` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Declared {
    sql_type: String,
    nullable: bool,
}

/// One column as the migrated database has it.
#[derive(diesel::QueryableByName, Debug)]
struct Migrated {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    not_null: bool,
}

type Tables<T> = BTreeMap<String, BTreeMap<String, T>>;

/// Reads the `diesel::table!` blocks of `schema.rs`: table name, then `column -> Type,` lines.
fn declared() -> Tables<Declared> {
    let source = include_str!("../../src/persistence/schema.rs");
    let mut tables = Tables::new();
    let mut current: Option<String> = None;
    // `#[sql_name = "type"]` names the database column of the next line.
    let mut sql_name: Option<&str> = None;
    for line in source.lines().map(str::trim) {
        if line.starts_with("diesel::") {
            current = None;
        } else if let Some(name) = line.strip_prefix("#[sql_name = \"") {
            sql_name = Some(name.trim_end_matches("\"]"));
        } else if let Some((name, _)) = line.split_once(" (").filter(|_| line.ends_with('{')) {
            current = Some(name.trim().to_owned());
            tables.entry(name.trim().to_owned()).or_default();
        } else if let (Some(table), Some((column, ty))) = (&current, line.split_once(" -> ")) {
            let ty = ty.trim_end_matches(',');
            let (sql_type, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (ty, false),
            };
            let declared = Declared {
                sql_type: sql_type.to_owned(),
                nullable,
            };
            let column = sql_name.take().unwrap_or(column.trim()).to_owned();
            tables.get_mut(table).unwrap().insert(column, declared);
        }
    }
    tables
}

/// Reads every user table's columns from the migrated database (diesel's own bookkeeping aside).
fn migrated(conn: &mut DbConnection) -> Tables<Migrated> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name, upper(p.type) AS data_type, \
                    (p.\"notnull\" = 1 OR p.pk > 0) AS not_null \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
               AND m.name <> '__diesel_schema_migrations'"
        }
        DbConnection::Postgres(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    data_type::text AS data_type, is_nullable = 'NO' AS not_null \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'"
        }
    };
    let rows: Vec<Migrated> = diesel::sql_query(query)
        .load(conn)
        .expect("read the columns");
    let mut tables = Tables::new();
    for row in rows {
        let table = tables.entry(row.table_name.clone()).or_default();
        table.insert(row.column_name.clone(), row);
    }
    tables
}

/// Whether a database column type holds what diesel's SQL type reads and writes.
fn compatible(diesel_type: &str, database_type: &str) -> bool {
    let allowed: &[&str] = match diesel_type {
        "Text" => &["TEXT", "text", "character varying"],
        "Integer" => &["INTEGER", "integer"],
        "BigInt" => &["BIGINT", "INTEGER", "bigint"],
        "Timestamp" => &["TIMESTAMP", "timestamp without time zone"],
        "Date" => &["DATE", "date"],
        "Bool" => &["BOOLEAN", "boolean"],
        _ => &[],
    };
    allowed.contains(&database_type)
}

fn names<T>(map: &BTreeMap<String, T>) -> BTreeSet<String> {
    map.keys().cloned().collect()
}

/// Every difference between `schema.rs` and the database, one line each.
fn differences(declared: &Tables<Declared>, migrated: &Tables<Migrated>) -> Vec<String> {
    let mut found = Vec::new();
    let (schema_tables, database_tables) = (names(declared), names(migrated));
    for table in schema_tables.symmetric_difference(&database_tables) {
        let side = if declared.contains_key(table) {
            "schema.rs"
        } else {
            "the migrations"
        };
        found.push(format!("table {table} only in {side}"));
    }
    for table in schema_tables.intersection(&database_tables) {
        let (ours, theirs) = (&declared[table], &migrated[table]);
        for column in names(ours).symmetric_difference(&names(theirs)) {
            let side = if ours.contains_key(column) {
                "schema.rs"
            } else {
                "the migrations"
            };
            found.push(format!("{table}.{column} only in {side}"));
        }
        for (column, declared) in ours.iter().filter(|(c, _)| theirs.contains_key(*c)) {
            let database = &theirs[column];
            if declared.nullable == database.not_null {
                found.push(format!(
                    "{table}.{column}: schema.rs says nullable {}, the database {}",
                    declared.nullable, !database.not_null
                ));
            }
            if !compatible(&declared.sql_type, &database.data_type) {
                found.push(format!(
                    "{table}.{column}: schema.rs says {}, the database {}",
                    declared.sql_type, database.data_type
                ));
            }
        }
    }
    found
}

#[actix_web::test]
async fn schema_rs_matches_the_migrated_database() {
    let app = spawn_app().await;
    let declared = declared();
    let migrated = on_database(&app.db, migrated);
    // The parser itself must have read something, or the comparison below proves nothing.
    let columns: usize = declared.values().map(BTreeMap::len).sum();
    assert!(
        declared.len() >= 17 && columns > 150,
        "schema.rs read as {declared:?}"
    );
    let found = differences(&declared, &migrated);
    report!(
        "schema: {} tables, {columns} columns compared, {} differences",
        declared.len(),
        found.len()
    );
    assert!(
        found.is_empty(),
        "schema.rs and the migrations differ:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_drifted_column_is_reported() {
    let declared = declared();
    let mut migrated: Tables<Migrated> = Tables::new();
    for (table, columns) in &declared {
        for (column, d) in columns {
            let data_type = match d.sql_type.as_str() {
                "Text" => "TEXT",
                "Timestamp" => "TIMESTAMP",
                "Date" => "DATE",
                _ => "INTEGER",
            };
            let row = Migrated {
                table_name: table.clone(),
                column_name: column.clone(),
                data_type: data_type.to_owned(),
                not_null: !d.nullable,
            };
            migrated
                .entry(table.clone())
                .or_default()
                .insert(column.clone(), row);
        }
    }
    let found = differences(&declared, &migrated);
    assert!(found.is_empty(), "{found:#?}");
    let parties = migrated.get_mut("parties").unwrap();
    parties.get_mut("website").unwrap().not_null = true;
    parties.get_mut("name").unwrap().data_type = "INTEGER".to_owned();
    parties.remove("country");
    migrated.remove("people");
    let found = differences(&declared, &migrated);
    assert_eq!(found.len(), 4, "{found:#?}");
}
