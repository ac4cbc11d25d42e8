//! Notifications' rows: the outbox written with each change
//! ([`announce`]), the deliveries it fans out into ([`deliveries`]), and the
//! webhook endpoints integrators register ([`endpoints`]).

pub mod announce;
pub mod deliveries;
pub mod endpoints;
