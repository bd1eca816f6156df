//! Publishing offering-user changes to RabbitMQ (AMQP 0-9-1), as upstream Waldur tells its
//! site agents about them: one JSON message per change, on a durable topic exchange.
//!
//! - [`payload`]: what a change becomes: the messages of upstream's `offering_user` events
//!   (`create`, `update` with `changed_fields`, `delete`, `username_set`) and their routing key
//!   `offering.<offering uuid>.offering_user`, from the audit event of the change and the
//!   record's facts. Pure.
//! - [`publisher`]: one connection with publisher confirms; a publish returns `Ok` only once
//!   the broker has confirmed the message, and every wait is bounded (connect, confirm, the
//!   capped backoff between attempts). A failed publish is the caller's to retry.
//!
//! Off unless `--amqp-url` is given (`config::AmqpArgs`). The outbox's relay
//! (`server/amqp_relay.rs`, over `store/amqp_outbox.rs`) feeds the committed changes to it.
//!
//! The feeder's contract, as the relay keeps it:
//! - read a record's committed audit events oldest first (ids of one record grow in commit
//!   order), one record's events never two at a time, and publish each event's
//!   [`payload::messages_for`] with [`Publisher::publish_all`]; forget the event (delete its
//!   outbox row) only after `Ok`, keep it and retry after `Err` (the publisher paces retries
//!   with its backoff): a broker outage then delays messages and loses none;
//! - give as [`payload::RecordFacts`] the record as the change left it: its offering's uuid
//!   and type and its user's uuid as recorded with the event (they outlive a deletion), and
//!   its username, state and runtime state from the event's new values where it recorded
//!   them, else from the row (for a deletion, from the event's old values).

mod backoff;
pub mod message;
pub mod payload;
pub mod publisher;

pub use message::Message;
pub use publisher::{PublishError, Publisher, Settings};
