//! One message as the publisher sends it.

use serde_json::Value;

/// A message for the exchange: its id (stable across retries, so that a consumer can drop a
/// duplicate), its routing key and its JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The AMQP `message_id` property: `<audit event id>-<action>`.
    pub message_id: String,
    /// `offering.<offering uuid>.offering_user`.
    pub routing_key: String,
    /// The JSON body.
    pub payload: Value,
}

impl Message {
    /// The body as sent: the payload's JSON text, keys in upstream's order.
    pub fn body(&self) -> Vec<u8> {
        // Serializing a `Value` into memory cannot fail.
        serde_json::to_vec(&self.payload).unwrap_or_default()
    }
}
