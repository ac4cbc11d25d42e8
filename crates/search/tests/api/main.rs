//! Search service tests: a real PostgreSQL with PostGIS, a fresh database per test.

mod events;
mod helpers;
mod openapi;
mod operations;
mod search;
mod slots;
