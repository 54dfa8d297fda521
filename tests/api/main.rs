//! Black-box API tests: each test starts the real server on a random port with a fresh
//! database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set).

mod access;
mod api_keys;
mod exchange;
mod foundation;
mod helpers;
mod indexes;
mod initiatives;
mod integration;
mod interests;
mod limits;
mod operations;
mod opportunities;
mod pagination;
mod parties;
mod people;
