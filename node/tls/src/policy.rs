//! AWS API Gateway's security policies (the `securityPolicy` of a domain name) and what each
//! one offers here: TLS versions, cipher suites and key-exchange groups, as a rustls
//! [`CryptoProvider`] built on ring. The table in this crate's README is the reference; the
//! differences from AWS come from rustls, which has no TLS 1.0/1.1, no CBC and no RSA key
//! exchange suites, and from ring, which has no ML-KEM (so the `PQ` policies exchange keys
//! classically) and is not a FIPS-validated module (so `FIPS` policies restrict themselves
//! to FIPS-approved algorithms: AES-GCM, P-256/P-384 ECDHE).

use std::sync::Arc;

use rustls::crypto::ring::{cipher_suite as cs, default_provider, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::{SupportedCipherSuite, SupportedProtocolVersion};

use crate::TlsError;

/// One of the security policies AWS accepts for a domain name (botocore's `SecurityPolicy`
/// enum, all twelve values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityPolicy {
    /// `TLS_1_0` (legacy).
    Tls10,
    /// `TLS_1_2` (legacy; AWS's default for new domain names).
    Tls12,
    /// `SecurityPolicy_TLS13_1_3_2025_09`.
    Tls13_13_2025_09,
    /// `SecurityPolicy_TLS13_1_3_FIPS_2025_09`.
    Tls13_13Fips2025_09,
    /// `SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09`.
    Tls13_12PfsPq2025_09,
    /// `SecurityPolicy_TLS13_1_2_FIPS_PQ_2025_09`.
    Tls13_12FipsPq2025_09,
    /// `SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09`.
    Tls13_12FipsPfsPq2025_09,
    /// `SecurityPolicy_TLS13_1_2_PQ_2025_09`.
    Tls13_12Pq2025_09,
    /// `SecurityPolicy_TLS13_1_2_2021_06`.
    Tls13_12_2021_06,
    /// `SecurityPolicy_TLS13_2025_EDGE`.
    Tls13_2025Edge,
    /// `SecurityPolicy_TLS12_PFS_2025_EDGE`.
    Tls12Pfs2025Edge,
    /// `SecurityPolicy_TLS12_2018_EDGE`.
    Tls12_2018Edge,
}

/// Every policy with its AWS name, in botocore's order.
const ALL: [(SecurityPolicy, &str); 12] = [
    (SecurityPolicy::Tls10, "TLS_1_0"),
    (SecurityPolicy::Tls12, "TLS_1_2"),
    (
        SecurityPolicy::Tls13_13_2025_09,
        "SecurityPolicy_TLS13_1_3_2025_09",
    ),
    (
        SecurityPolicy::Tls13_13Fips2025_09,
        "SecurityPolicy_TLS13_1_3_FIPS_2025_09",
    ),
    (
        SecurityPolicy::Tls13_12PfsPq2025_09,
        "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09",
    ),
    (
        SecurityPolicy::Tls13_12FipsPq2025_09,
        "SecurityPolicy_TLS13_1_2_FIPS_PQ_2025_09",
    ),
    (
        SecurityPolicy::Tls13_12FipsPfsPq2025_09,
        "SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09",
    ),
    (
        SecurityPolicy::Tls13_12Pq2025_09,
        "SecurityPolicy_TLS13_1_2_PQ_2025_09",
    ),
    (
        SecurityPolicy::Tls13_12_2021_06,
        "SecurityPolicy_TLS13_1_2_2021_06",
    ),
    (
        SecurityPolicy::Tls13_2025Edge,
        "SecurityPolicy_TLS13_2025_EDGE",
    ),
    (
        SecurityPolicy::Tls12Pfs2025Edge,
        "SecurityPolicy_TLS12_PFS_2025_EDGE",
    ),
    (
        SecurityPolicy::Tls12_2018Edge,
        "SecurityPolicy_TLS12_2018_EDGE",
    ),
];

/// TLS 1.3 suites, all three (rustls's order).
static TLS13_ALL: [SupportedCipherSuite; 3] = [
    cs::TLS13_AES_256_GCM_SHA384,
    cs::TLS13_AES_128_GCM_SHA256,
    cs::TLS13_CHACHA20_POLY1305_SHA256,
];

/// TLS 1.3 suites without CHACHA20 (FIPS-approved AEADs only).
static TLS13_AES: [SupportedCipherSuite; 2] =
    [cs::TLS13_AES_256_GCM_SHA384, cs::TLS13_AES_128_GCM_SHA256];

/// The TLS 1.2 suites of AWS's lists that rustls implements: ECDHE with AES-GCM.
static TLS12_ECDHE_GCM: [SupportedCipherSuite; 4] = [
    cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
];

static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
static TLS12_AND_13: [&SupportedProtocolVersion; 2] =
    [&rustls::version::TLS13, &rustls::version::TLS12];

impl SecurityPolicy {
    /// Parses an AWS policy name; anything else is AWS's `Invalid security policy` error.
    pub fn parse(name: &str) -> Result<Self, TlsError> {
        ALL.iter()
            .find(|(_, n)| *n == name)
            .map(|(p, _)| *p)
            .ok_or_else(|| TlsError::InvalidSecurityPolicy(name.to_string()))
    }

    /// AWS's name for this policy.
    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(p, _)| *p == self)
            .map(|(_, n)| *n)
            .unwrap_or("TLS_1_2")
    }

    /// Every policy, in botocore's order.
    pub fn all() -> impl Iterator<Item = SecurityPolicy> {
        ALL.iter().map(|(p, _)| *p)
    }

    /// Every AWS policy name, in botocore's order.
    pub fn names() -> Vec<&'static str> {
        ALL.iter().map(|(_, n)| *n).collect()
    }

    /// True for the policies that accept TLS 1.3 only.
    pub fn tls13_only(self) -> bool {
        matches!(
            self,
            Self::Tls13_13_2025_09 | Self::Tls13_13Fips2025_09 | Self::Tls13_2025Edge
        )
    }

    /// True for the `FIPS` policies: FIPS-approved algorithms only (no CHACHA20, no X25519).
    pub fn fips(self) -> bool {
        matches!(
            self,
            Self::Tls13_13Fips2025_09
                | Self::Tls13_12FipsPq2025_09
                | Self::Tls13_12FipsPfsPq2025_09
        )
    }

    /// The protocol versions offered.
    pub fn versions(self) -> &'static [&'static SupportedProtocolVersion] {
        if self.tls13_only() {
            &TLS13_ONLY
        } else {
            &TLS12_AND_13
        }
    }

    /// The cipher suites offered, TLS 1.3 ones first.
    pub fn cipher_suites(self) -> Vec<SupportedCipherSuite> {
        let tls13: &[SupportedCipherSuite] = if self.fips() { &TLS13_AES } else { &TLS13_ALL };
        let tls12: &[SupportedCipherSuite] = if self.tls13_only() {
            &[]
        } else {
            &TLS12_ECDHE_GCM
        };
        tls13.iter().chain(tls12).copied().collect()
    }

    /// The key-exchange groups offered.
    pub fn kx_groups(self) -> Vec<&'static dyn SupportedKxGroup> {
        if self.fips() {
            vec![kx_group::SECP256R1, kx_group::SECP384R1]
        } else {
            vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1]
        }
    }

    /// ring's provider cut down to this policy's suites and groups.
    pub fn provider(self) -> Arc<CryptoProvider> {
        Arc::new(CryptoProvider {
            cipher_suites: self.cipher_suites(),
            kx_groups: self.kx_groups(),
            ..default_provider()
        })
    }
}

impl std::fmt::Display for SecurityPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The IANA name of a suite (`TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`).
pub fn iana_name(suite: SupportedCipherSuite) -> &'static str {
    use rustls::CipherSuite as C;
    // rustls spells the TLS 1.3 suites `TLS13_...`; IANA and OpenSSL write `TLS_...`.
    match suite.suite() {
        C::TLS13_AES_128_GCM_SHA256 => "TLS_AES_128_GCM_SHA256",
        C::TLS13_AES_256_GCM_SHA384 => "TLS_AES_256_GCM_SHA384",
        C::TLS13_CHACHA20_POLY1305_SHA256 => "TLS_CHACHA20_POLY1305_SHA256",
        other => other.as_str().unwrap_or("UNKNOWN"),
    }
}

/// OpenSSL's name of a suite, as AWS's policy tables write them
/// (`ECDHE-RSA-AES128-GCM-SHA256`; TLS 1.3 suites keep their IANA names).
pub fn openssl_name(suite: SupportedCipherSuite) -> &'static str {
    use rustls::CipherSuite as C;
    match suite.suite() {
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        _ => iana_name(suite),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aws_name_round_trips() {
        for name in SecurityPolicy::names() {
            assert_eq!(
                SecurityPolicy::parse(name).map(|p| p.name()).ok(),
                Some(name)
            );
        }
        assert_eq!(SecurityPolicy::names().len(), 12);
    }

    #[test]
    fn unknown_policy_is_refused_with_aws_wording() {
        let err = SecurityPolicy::parse("TLS_1_3")
            .err()
            .map(|e| e.to_string());
        let text = err.unwrap_or_default();
        assert!(
            text.starts_with("Invalid security policy TLS_1_3"),
            "{text}"
        );
    }

    #[test]
    fn fips_policies_offer_no_chacha_and_no_x25519() {
        for p in SecurityPolicy::all().filter(|p| p.fips()) {
            assert!(p
                .cipher_suites()
                .iter()
                .all(|s| !iana_name(*s).contains("CHACHA")));
            assert!(p
                .kx_groups()
                .iter()
                .all(|g| g.name() != rustls::NamedGroup::X25519));
        }
    }

    #[test]
    fn tls13_only_policies_offer_no_tls12_suite() {
        let p = SecurityPolicy::Tls13_13_2025_09;
        assert_eq!(p.versions().len(), 1);
        assert!(p.cipher_suites().iter().all(|s| s.tls13().is_some()));
        assert_eq!(p.cipher_suites().len(), 3);
    }
}
