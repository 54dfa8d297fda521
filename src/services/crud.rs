//! The shape every plain resource (parties, people, initiatives) shares: create, read, list,
//! change by merge patch and delete. Each resource says how it is stored, checked and announced;
//! who may do what is each resource's own service's to decide, before it calls these.

use std::fmt::Display;

use diesel::QueryResult;

use super::events::{event, record};
use super::idempotency::write_once;
use super::{AppState, deleted, fresh, replace};
use crate::api::event_data::{SubjectData, data};
use crate::api::reply::{IdempotencyKey, Reply, Shown};
use crate::domain::access::Caller;
use crate::domain::events::Audience;
use crate::domain::page::PageRequest;
use crate::domain::stored::{Expected, Stored};
use crate::error::AppError;
use crate::persistence::DbConnection;
use crate::persistence::transaction::lock_row;

/// A plain resource: how it is stored, checked and announced.
pub(crate) trait Resource: 'static {
    type Id: Clone + Display + Send + Sync + 'static;
    type Data: Clone + PartialEq + Send + 'static;
    type Filter: Send + 'static;
    type Sort: Copy + Send + 'static;
    /// What it is called in messages ("party").
    const NAME: &'static str;
    /// Its table (for row locks).
    const TABLE: &'static str;
    /// Its events: created, updated, deleted.
    const EVENTS: [&'static str; 3];

    fn new_id() -> Self::Id;
    fn insert(conn: &mut DbConnection, item: &Stored<Self::Id, Self::Data>) -> QueryResult<()>;
    fn get(
        conn: &mut DbConnection,
        id: &Self::Id,
    ) -> QueryResult<Option<Stored<Self::Id, Self::Data>>>;
    /// Writes `item` over the stored row if that row is still at `previous`.
    fn update(
        conn: &mut DbConnection,
        item: &Stored<Self::Id, Self::Data>,
        previous: i32,
    ) -> QueryResult<bool>;
    fn delete(conn: &mut DbConnection, id: &Self::Id) -> QueryResult<bool>;
    fn list(
        conn: &mut DbConnection,
        filter: &Self::Filter,
        page: &PageRequest<Self::Sort>,
    ) -> QueryResult<Vec<Stored<Self::Id, Self::Data>>>;
    fn count(conn: &mut DbConnection, filter: &Self::Filter) -> QueryResult<i64>;
    /// Checks what fields alone cannot: references to other resources, consistency.
    fn validate(
        conn: &mut DbConnection,
        data: &Self::Data,
        this: Option<&Self::Id>,
    ) -> Result<(), AppError>;
    /// Who sees its events.
    fn audience(id: &Self::Id) -> Audience;
}

/// Records the event `kind` about `id` of resource `R`, for its audience.
pub(crate) fn announce<R: Resource>(
    conn: &mut DbConnection,
    kind: &'static str,
    id: &R::Id,
) -> Result<(), AppError> {
    record(
        conn,
        event(
            kind,
            id,
            R::audience(id),
            data(&SubjectData { id: id.to_string() }),
        ),
    )
}

/// Creates a resource from `data` and answers with `render` of it.
pub(crate) async fn create<R, F>(
    state: &AppState,
    caller: &Caller,
    key: Option<IdempotencyKey>,
    data: R::Data,
    render: F,
) -> Result<Reply, AppError>
where
    R: Resource,
    F: Fn(&Stored<R::Id, R::Data>, Shown) -> Result<Reply, AppError> + Send + Sync + 'static,
{
    write_once(
        state,
        caller,
        key,
        move |conn| {
            R::validate(conn, &data, None)?;
            let item = fresh(R::new_id(), data);
            R::insert(conn, &item)?;
            announce::<R>(conn, R::EVENTS[0], &item.id)?;
            Ok(item)
        },
        render,
    )
    .await
}

pub(crate) async fn get<R: Resource>(
    state: &AppState,
    id: R::Id,
) -> Result<Stored<R::Id, R::Data>, AppError> {
    state
        .db
        .run(move |conn| R::get(conn, &id)?.ok_or(AppError::NotFound))
        .await
}

/// A page of resources (one more than asked, to tell whether another follows) and, when
/// asked, how many match.
pub(crate) async fn list<R: Resource>(
    state: &AppState,
    filter: R::Filter,
    page: PageRequest<R::Sort>,
    with_total: bool,
) -> Result<(Vec<Stored<R::Id, R::Data>>, Option<i64>), AppError> {
    state
        .db
        .run(move |conn| {
            let items = R::list(conn, &filter, &page)?;
            let total = with_total.then(|| R::count(conn, &filter)).transpose()?;
            Ok((items, total))
        })
        .await
}

/// Replaces a resource's data with what `build` makes of the current resource. The row is
/// locked first, so concurrent changes without `If-Match` apply one after the other.
pub(crate) async fn update<R: Resource>(
    state: &AppState,
    id: R::Id,
    expected: Expected,
    build: impl FnOnce(&Stored<R::Id, R::Data>) -> Result<R::Data, AppError> + Send + 'static,
) -> Result<Stored<R::Id, R::Data>, AppError> {
    state
        .db
        .write(move |conn| {
            lock_row(conn, R::TABLE, &id.to_string())?;
            let current = R::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let version = current.version;
            let next = replace(
                conn,
                current,
                &expected,
                build,
                |conn, data| R::validate(conn, data, Some(&id)),
                R::update,
            )?;
            if next.version != version {
                announce::<R>(conn, R::EVENTS[1], &next.id)?;
            }
            Ok(next)
        })
        .await
}

/// Deletes a resource nothing refers to; otherwise 409.
pub(crate) async fn delete<R: Resource>(
    state: &AppState,
    id: R::Id,
    expected: Expected,
) -> Result<(), AppError> {
    state
        .db
        .write(move |conn| {
            lock_row(conn, R::TABLE, &id.to_string())?;
            let current = R::get(conn, &id)?.ok_or(AppError::NotFound)?;
            expected.check(current.version)?;
            deleted(R::delete(conn, &id), R::NAME)?;
            announce::<R>(conn, R::EVENTS[2], &id)
        })
        .await
}
