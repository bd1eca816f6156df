//! Integration tests against a real PostgreSQL: one binary, one module per area of the spec.
//! Each test gets a database of its own (see `support::db`).

mod support;

mod amqp;
mod auth;
mod checklist_limits;
mod checklists;
mod commit_outcome;
mod completeness;
mod concurrency;
mod cors;
mod counters;
mod create;
mod defaults;
mod demo;
mod deployment;
mod docs;
mod events;
mod failover;
mod failure_log;
mod filters_2026;
mod hostile_bodies;

mod import;
mod json_logs;
mod labels;
mod lifecycle;
mod links;
mod list;
mod openapi;
mod outage;
mod permissions;
mod permitted_work;
mod posix;
mod posix_import;
mod posix_reads;
mod profile_fields;
mod profile_import;
mod public_routes;
mod reimport;
mod retrieve_and_links;
mod routing;
mod runtime_state;
mod search;
mod slow_readers;
mod startup_guard;
mod telemetry;
mod tls;
mod transitions;
mod transport;
mod typed_paths;
mod update_delete;
mod visibility;
mod webhook_delivery;
mod webhooks;
