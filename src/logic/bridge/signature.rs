//! Webhook signatures (SPEC 4.1, public source: Bridge API docs "Webhooks"): Bridge signs the raw
//! body with HMAC-SHA256 and sends `BridgeApi-Signature: v1=<UPPERCASE hex>`; during a secret
//! rotation the header holds two comma-separated values, one per secret. The receiver accepts a
//! delivery when any value matches any secret it holds.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header Bridge signs deliveries with.
pub const HEADER: &str = "BridgeApi-Signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// One signature value: `v1=` and the uppercase hex of HMAC-SHA256(body, secret).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    let digest = m.finalize().into_bytes();
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v1=");
    for b in digest {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// The header value for a delivery signed with every secret in `secrets` (two during a rotation).
pub fn header_value(secrets: &[&[u8]], body: &[u8]) -> String {
    secrets.iter().map(|s| sign(s, body)).collect::<Vec<_>>().join(",")
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// Whether `header` carries a valid `v1` signature of `body` under any of `secrets`. The
/// comparison is constant-time (`Mac::verify_slice`); values that are not `v1=<hex>` never match.
pub fn verify(header: &str, secrets: &[&[u8]], body: &[u8]) -> bool {
    header.split(',').filter_map(|v| v.trim().strip_prefix("v1=")).filter_map(decode_hex).any(|expected| {
        secrets.iter().any(|s| {
            let mut m = mac(s);
            m.update(body);
            m.verify_slice(&expected).is_ok()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    const RFC4231_2: &str = "v1=5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843";

    #[test]
    fn signature_is_uppercase_hex_hmac_sha256_of_the_raw_body() {
        assert_eq!(sign(b"Jefe", b"what do ya want for nothing?"), RFC4231_2);
    }

    #[test]
    fn a_known_key_and_body_verify_and_any_change_fails() {
        let body =
            br#"{"content":{"payment_request_id":"r1","status":"ACSC"},"timestamp":1767225600000,"type":"payment.transaction.updated"}"#;
        let h = sign(b"whsec_test", body);
        assert!(verify(&h, &[b"whsec_test"], body));
        assert!(!verify(&h, &[b"whsec_other"], body), "wrong secret");
        let mut tampered = body.to_vec();
        tampered[60] ^= 1;
        assert!(!verify(&h, &[b"whsec_test"], &tampered), "one changed byte");
        assert!(!verify("v1=", &[b"whsec_test"], body));
        assert!(!verify("v2=00", &[b"whsec_test"], body));
        assert!(!verify("", &[b"whsec_test"], body));
        assert!(!verify("v1=ZZ", &[b"whsec_test"], body));
    }

    #[test]
    fn during_a_rotation_either_secret_verifies_the_two_valued_header() {
        let body = b"{}";
        let h = header_value(&[b"old", b"new"], body);
        assert_eq!(h.matches("v1=").count(), 2);
        assert!(verify(&h, &[b"old"], body));
        assert!(verify(&h, &[b"new"], body));
        assert!(!verify(&h, &[b"third"], body));
        // After the rotation Bridge signs with the new secret only: an ERP still on the old one rejects.
        assert!(!verify(&sign(b"new", body), &[b"old"], body));
    }
}
