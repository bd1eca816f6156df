//! The signature of a delivery (beyond upstream, which signs nothing): HMAC-SHA256 of the exact
//! body bytes under the hook's secret, sent as `X-Waldur-Signature: sha256=<hex>`; and the
//! secret itself, made once when the hook is created.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-waldur-signature";
/// The header that carries the event's uuid: the same on every attempt of one delivery, so a
/// receiver drops what it has already seen.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The header that names the event type.
pub const EVENT_TYPE_HEADER: &str = "x-waldur-event-type";

/// The header value `sha256=<64 hex digits>` for `body`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // An HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A new secret: 64 hex digits from two random (v4) uuids, 244 random bits.
pub fn new_secret() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_rfc_4231_vector_does() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn secrets_are_long_and_differ() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
