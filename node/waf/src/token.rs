//! CAPTCHA and Challenge tokens issued by this gateway.
//!
//! AWS keeps its token format secret; ours is documented and verifiable
//! without state. A token is
//!
//! ```text
//! v1.<challenge_ts>.<captcha_ts>.<mac>
//! ```
//!
//! where the timestamps are Unix seconds of the client's last solved
//! challenge and CAPTCHA (`0` for never) and `mac` is the lowercase hex
//! HMAC-SHA256, under the node's key, of
//! `apigw-waf-token-v1|<client ip>|<challenge_ts>|<captcha_ts>`.
//! The token binds the client IP the issuer saw (the request's origin
//! address). A client presents it as the cookie `aws-waf-token` (as AWS's
//! integration scripts store it) or the header `x-aws-waf-token` (as AWS's
//! mobile SDKs send it). A CAPTCHA timestamp is accepted while
//! `now - captcha_ts <= CaptchaConfig immunity`, a challenge timestamp while
//! `now - challenge_ts <= ChallengeConfig immunity` (default 300 s each);
//! a timestamp more than 60 s in the future is refused. Solving a CAPTCHA
//! also solves the challenge (AWS's CAPTCHA interstitial runs the challenge
//! first), so an issuer sets both timestamps then.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

/// The cookie a browser presents the token in.
pub const TOKEN_COOKIE: &str = "aws-waf-token";
/// The header a non-browser client presents the token in.
pub const TOKEN_HEADER: &str = "x-aws-waf-token";
/// Tolerated clock skew for timestamps in the future.
const FUTURE_SKEW: u64 = 60;

/// The secret key tokens are signed with (shared by the nodes that must
/// accept each other's tokens).
#[derive(Clone)]
pub struct TokenKey(Arc<[u8]>);

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

/// The two timestamps a valid token carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTimes {
    /// Unix seconds of the last solved challenge (0: never).
    pub challenge: u64,
    /// Unix seconds of the last solved CAPTCHA (0: never).
    pub captcha: u64,
}

impl TokenKey {
    /// A key from secret bytes (at least 16 are recommended).
    pub fn new(secret: &[u8]) -> Self {
        Self(Arc::from(secret))
    }

    fn mac(&self, ip: IpAddr, challenge: u64, captcha: u64) -> Option<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).ok()?;
        mac.update(format!("apigw-waf-token-v1|{ip}|{challenge}|{captcha}").as_bytes());
        Some(mac)
    }

    /// Issues a token for `ip` with the given solve timestamps (what the
    /// CAPTCHA / challenge page calls once the client has solved it).
    pub fn issue(&self, ip: IpAddr, times: TokenTimes) -> String {
        let tag = self
            .mac(ip, times.challenge, times.captcha)
            .map(|m| hex(&m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("v1.{}.{}.{tag}", times.challenge, times.captcha)
    }

    /// Verifies a token for `ip`; returns its timestamps if the MAC holds.
    pub fn verify(&self, ip: IpAddr, token: &str) -> Option<TokenTimes> {
        let mut parts = token.trim().split('.');
        let (v, ch, ca, tag) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if v != "v1" || parts.next().is_some() || tag.len() != 64 {
            return None;
        }
        let (challenge, captcha) = (ch.parse().ok()?, ca.parse().ok()?);
        let tag = unhex(tag)?;
        self.mac(ip, challenge, captcha)?.verify_slice(&tag).ok()?;
        Some(TokenTimes { challenge, captcha })
    }
}

/// Whether a solve timestamp is within its immunity time at `now`.
pub fn fresh(ts: u64, immunity: u64, now: u64) -> bool {
    ts > 0 && ts <= now + FUTURE_SKEW && now.saturating_sub(ts) <= immunity
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_verify_and_tamper() {
        let key = TokenKey::new(b"0123456789abcdef");
        let ip: IpAddr = "192.0.2.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let t = TokenTimes {
            challenge: 1000,
            captcha: 990,
        };
        let tok = key.issue(ip, t);
        assert_eq!(key.verify(ip, &tok), Some(t));
        let other: IpAddr = "192.0.2.8".parse().unwrap_or(ip);
        assert_eq!(key.verify(other, &tok), None, "bound to the IP");
        assert_eq!(key.verify(ip, &tok.replace("v1.1000", "v1.2000")), None);
        assert_eq!(TokenKey::new(b"another key 1234").verify(ip, &tok), None);
        assert!(fresh(1000, 300, 1300) && !fresh(1000, 300, 1301) && !fresh(0, 300, 10));
        assert!(!fresh(2000, 300, 1000), "far future refused");
    }
}
