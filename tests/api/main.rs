//! Black-box API tests: each test starts the real server on a random port with a fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set).

/// Prints a figure for the CI log even when the test passes: the harness captures `print!` and
/// `eprint!`, not direct writes to stderr.
macro_rules! report {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod api_keys;
mod audiences;
mod contract;
mod exchange;
mod foundation;
mod helpers;
mod hostile;
mod indexes;
mod initiatives;
mod integration;
mod interests;
mod limits;
mod operations;
mod opportunities;
mod owasp;
mod pagination;
mod parties;
mod people;
mod schema;
