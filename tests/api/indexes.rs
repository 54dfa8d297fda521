//! The common list queries are served by indexes, in order: no table scan, no sort of every
//! matching row per page (checked with EXPLAIN on both backends).

use diesel::{Connection, RunQueryDsl};

use crate::helpers::{TestApp, TestDb, on_database, spawn_app};

/// Runs `work` on a PostgreSQL connection opened as the service opens its own, with its session
/// settings (generic plans among them).
fn on_service_connection<T>(app: &TestApp, work: impl FnOnce(&mut diesel::PgConnection) -> T) -> T {
    on_database(&app.db, |conn| match conn {
        investdesk::persistence::DbConnection::Postgres(conn) => work(conn),
        _ => panic!("a PostgreSQL database gave another connection"),
    })
}

/// The shapes of the list queries the service sends (keyset pages, the public catalogue), with
/// their values bound as the service binds them, and a value for each parameter. The plans
/// checked are those made without the values, as the service's are: SQLite is built with
/// `SQLITE_ENABLE_QPSG`, and PostgreSQL connections use generic plans.
const QUERIES: [(&str, &str, &str); 9] = [
    (
        "public catalogue of a sector and engagement model",
        "SELECT id FROM opportunities WHERE is_public = $1 AND (facet_mask & $2) <> $3 AND (facet_mask & $4) <> $3 AND id > $5 ORDER BY id LIMIT $6",
        "1, 8192, 0, 4294967296, 'opp_0', 21",
    ),
    (
        "public catalogue by id",
        "SELECT id FROM opportunities WHERE is_public = $1 AND id > $2 ORDER BY id LIMIT $3",
        "1, 'opp_0', 21",
    ),
    (
        "public catalogue by title",
        "SELECT id FROM opportunities WHERE is_public = $1 AND (title > $2 OR (title = $2 AND id > $3)) ORDER BY title, id LIMIT $4",
        "1, 'M', 'opp_0', 21",
    ),
    (
        "public catalogue by update",
        "SELECT id FROM opportunities WHERE is_public = $1 ORDER BY updated_at, id LIMIT $2",
        "1, 21",
    ),
    (
        "public catalogue of a partner country",
        "SELECT id FROM opportunities WHERE is_public = $1 AND EXISTS (SELECT 1 FROM opportunity_facets WHERE facet = $2 AND value = $3 AND opportunity_id = opportunities.id) ORDER BY id LIMIT $4",
        "1, 'partnerCountry', 'CN', 21",
    ),
    (
        "opportunities whose representation a starting instance renders",
        "SELECT id FROM opportunities WHERE representation IS NULL ORDER BY id LIMIT $1",
        "500",
    ),
    (
        "interests of an opportunity",
        "SELECT id FROM interests WHERE opportunity_id = $1 ORDER BY id LIMIT $2",
        "'opp_0', 21",
    ),
    (
        "events after a cursor",
        "SELECT seq FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
        "10, 21",
    ),
    (
        "api key by hash",
        "SELECT id FROM api_keys WHERE secret_hash = $1",
        "'abc'",
    ),
];

#[derive(diesel::QueryableByName)]
struct SqlitePlan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(diesel::QueryableByName)]
struct PgPlan {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

#[actix_web::test]
async fn every_common_list_query_is_served_by_an_index_in_order() {
    let app = spawn_app().await;
    let mut checked = 0;
    match &app.db {
        TestDb::Sqlite { path, .. } => {
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            // Parameters left unbound: SQLite plans without their values.
            for (name, sql, _) in QUERIES {
                let plan: Vec<SqlitePlan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                    .load(&mut conn)
                    .unwrap();
                let text: Vec<String> = plan.into_iter().map(|p| p.detail).collect();
                let scans = text
                    .iter()
                    .any(|l| l.starts_with("SCAN ") && !l.contains("INDEX"));
                let sorts = text.iter().any(|l| l.contains("TEMP B-TREE"));
                assert!(!scans && !sorts, "{name}: {text:?}");
                checked += 1;
            }
            // The detector itself: a list filtered on several statuses does sort every row.
            let plan: Vec<SqlitePlan> = diesel::sql_query(
                "EXPLAIN QUERY PLAN SELECT id FROM opportunities WHERE listing_status IN ('published', 'closed') ORDER BY title, id LIMIT 21",
            )
            .load(&mut conn)
            .unwrap();
            assert!(
                plan.iter().any(|p| p.detail.contains("TEMP B-TREE")),
                "the check would not notice a sort"
            );
        }
        TestDb::Postgres { .. } => on_service_connection(&app, |conn| {
            // Tiny test tables make a sequential scan the cheapest plan; forbid it to see whether
            // an index can serve each query in order.
            diesel::sql_query("SET enable_seqscan = off")
                .execute(conn)
                .unwrap();
            for (i, (name, sql, values)) in QUERIES.into_iter().enumerate() {
                diesel::sql_query(format!("PREPARE q{i} AS {sql}"))
                    .execute(conn)
                    .unwrap();
                let plan: Vec<PgPlan> =
                    diesel::sql_query(format!("EXPLAIN EXECUTE q{i}({values})"))
                        .load(conn)
                        .unwrap();
                let text: Vec<String> = plan.into_iter().map(|p| p.line).collect();
                let scans = text.iter().any(|l| l.contains("Seq Scan"));
                let sorts = text
                    .iter()
                    .any(|l| l.trim_start().starts_with("->  Sort") || l.starts_with("Sort"));
                assert!(!scans && !sorts, "{name}: {text:#?}");
                checked += 1;
            }
        }),
    }
    report!("EXPLAIN: {checked} list query shapes served by indexes in order");
}

#[derive(diesel::QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    attname: String,
}

/// PostgreSQL decodes a row's columns in order up to the last one a filter reads, so the columns
/// the catalogue's lists test come first in `opportunities` (migration 7): a filtered page tests
/// a few hundred rows to return 20. SQLite tests them inside the public indexes.
#[actix_web::test]
async fn on_postgresql_the_columns_lists_test_come_first() {
    let app = spawn_app().await;
    let TestDb::Postgres { .. } = &app.db else {
        return;
    };
    let columns: Vec<String> = on_service_connection(&app, |conn| {
        diesel::sql_query(
            "SELECT attname::text AS attname FROM pg_attribute \
         WHERE attrelid = 'opportunities'::regclass AND attnum > 0 AND NOT attisdropped \
         ORDER BY attnum LIMIT 5",
        )
        .load::<Column>(conn)
        .unwrap()
    })
    .into_iter()
    .map(|c| c.attname)
    .collect();
    assert_eq!(
        columns,
        [
            "id",
            "is_public",
            "facet_mask",
            "listing_status",
            "updated_at"
        ]
    );
}
