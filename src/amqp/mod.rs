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
//! Off unless `--amqp-url` is given (`config::AmqpArgs`). Whoever reads the committed changes
//! (the outbox) feeds them, in order, to [`Publisher::publish`].

mod backoff;
pub mod message;
pub mod payload;
pub mod publisher;

pub use message::Message;
pub use publisher::{PublishError, Publisher, Settings};
