//! Web hooks: where a hook may send ([`destination`]), what it receives ([`payload`]) and how it
//! is signed ([`signature`]), and the worker that drains the outbox's web-hook sink
//! ([`worker`]). The hooks themselves and all their SQL are in `store::web_hooks` and
//! `store::web_hook_deliveries`; the API in `http::web_hooks`.

pub mod destination;
pub mod payload;
pub mod signature;
pub mod worker;
