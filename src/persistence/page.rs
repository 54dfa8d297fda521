//! Keyset pagination in SQL: a page starts strictly after the position of the previous page's
//! last row ([`crate::domain::page::Position`]). No OFFSET anywhere.

/// Orders a boxed query by `(column, id)` and starts it after `position`.
///
/// `$parse` turns the position's key text back into the column's value; an unparsable key
/// yields no rows rather than an error (cursors are signed, so it cannot come from a client).
#[macro_export]
macro_rules! keyset {
    ($query:ident, $page:expr, $id:expr) => {{
        use diesel::prelude::*;
        let page = $page;
        if let Some(after) = &page.after {
            $query = if page.descending {
                $query.filter($id.lt(after.id.clone()))
            } else {
                $query.filter($id.gt(after.id.clone()))
            };
        }
        $query = if page.descending {
            $query.order($id.desc())
        } else {
            $query.order($id.asc())
        };
        $query.limit(page.limit + 1)
    }};
    ($query:ident, $page:expr, $id:expr, $column:expr, $parse:expr) => {{
        use diesel::prelude::*;
        let page = $page;
        if let Some(after) = &page.after {
            match ($parse)(after.key.as_str()) {
                Some(key) => {
                    $query = if page.descending {
                        $query.filter(
                            $column
                                .lt(key.clone())
                                .or($column.eq(key).and($id.lt(after.id.clone()))),
                        )
                    } else {
                        $query.filter(
                            $column
                                .gt(key.clone())
                                .or($column.eq(key).and($id.gt(after.id.clone()))),
                        )
                    };
                }
                None => $query = $query.filter($id.ne($id)),
            }
        }
        $query = if page.descending {
            $query.order(($column.desc(), $id.desc()))
        } else {
            $query.order(($column.asc(), $id.asc()))
        };
        $query.limit(page.limit + 1)
    }};
}
