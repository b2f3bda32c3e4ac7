//! The certificate store: each domain name's certificate, security policy and optional
//! mutual-TLS truststore, validated when put, published as an immutable [`TlsSnapshot`]
//! behind an `ArcSwap`. A change builds a new snapshot and swaps it in: handshakes that
//! start afterwards see it, connections already established keep the configuration they
//! were accepted with (rustls holds its own `Arc`s), so nothing is dropped.
//!
//! TLS configurations: one base `ServerConfig` per (policy, truststore) is built once and
//! cached; it owns the policy's cipher suites and groups, ALPN, the client verifier and
//! the session cache and ticket key. Each domain's configuration is a clone of its base
//! with the domain's certificate as the only one it can serve, made when the domain is put
//! (never per handshake). Domains sharing a base share its session state; rustls resumes a
//! session only for the server name it was made for. A replaced truststore or a changed
//! policy means a new base, so old tickets no longer resume.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use rustls::server::{
    ClientHello, ResolvesServerCert, ServerSessionMemoryCache, WebPkiClientVerifier,
};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

use crate::certificate::{CertificateInput, ServerCertificate};
use crate::{names, SecurityPolicy, TlsError, Truststore};

/// Sessions remembered per base configuration (TLS 1.2 session IDs, TLS 1.3 stateful
/// fallback); tickets need no memory.
const SESSION_CACHE: usize = 4096;

/// ALPN protocols offered, in preference order.
pub const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// What a domain name is configured with.
#[derive(Clone, Debug)]
pub struct DomainTls {
    /// The uploaded certificate (`certificateBody`, `certificatePrivateKey`, `certificateChain`).
    pub certificate: CertificateInput,
    /// `securityPolicy`, an AWS name; AWS's default for a domain name is `TLS_1_2`.
    pub security_policy: String,
    /// Mutual TLS: the loaded `truststoreUri`, if any.
    pub truststore: Option<Truststore>,
}

/// What a put accepted with caveats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutReport {
    /// The certificate's notAfter (Unix seconds).
    pub not_after: i64,
    /// Certificate warnings (expired, not yet valid).
    pub warnings: Vec<String>,
    /// `truststoreWarnings`.
    pub truststore_warnings: Vec<String>,
}

/// One domain as the accept path sees it.
pub struct DomainEntry {
    /// The domain name (lower case; `*.example.com` for a wildcard domain).
    pub domain: String,
    /// Its security policy.
    pub policy: SecurityPolicy,
    /// Its certificate's notAfter (Unix seconds).
    pub not_after: i64,
    /// Whether clients must present a certificate.
    pub mutual_tls: bool,
    pub(crate) config: Arc<ServerConfig>,
}

impl std::fmt::Debug for DomainEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainEntry")
            .field("domain", &self.domain)
            .field("policy", &self.policy.name())
            .field("not_after", &self.not_after)
            .field("mutual_tls", &self.mutual_tls)
            .finish_non_exhaustive()
    }
}

/// An immutable view of every domain, read by [`crate::accept`].
#[derive(Debug, Default)]
pub struct TlsSnapshot {
    domains: HashMap<String, Arc<DomainEntry>>,
}

impl TlsSnapshot {
    /// The entry serving `server_name` (normalised): an exact domain first, then the
    /// wildcard domain one label up.
    pub fn lookup(&self, server_name: &str) -> Option<&Arc<DomainEntry>> {
        self.domains
            .get(server_name)
            .or_else(|| names::wildcard_of(server_name).and_then(|w| self.domains.get(&w)))
    }

    /// `(domain, notAfter)` for every domain, sorted: the
    /// `apigw_tls_certificate_not_after_seconds{domain}` gauge.
    pub fn not_after_seconds(&self) -> Vec<(String, i64)> {
        let mut out: Vec<_> = self
            .domains
            .values()
            .map(|e| (e.domain.clone(), e.not_after))
            .collect();
        out.sort();
        out
    }

    /// How many domains.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// True when no domain is configured.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

/// A domain as the store keeps it, with its published entry.
struct DomainState {
    certificate: ServerCertificate,
    policy: SecurityPolicy,
    truststore: Option<Truststore>,
    entry: Arc<DomainEntry>,
}

/// The key of a cached base configuration: the policy and the truststore load (0 = none).
type BaseKey = (SecurityPolicy, u64);

#[derive(Default)]
struct State {
    domains: BTreeMap<String, DomainState>,
    bases: HashMap<BaseKey, Arc<ServerConfig>>,
}

/// The store. Writers are serialised; readers take [`TlsStore::snapshot`] without a lock.
pub struct TlsStore {
    current: ArcSwap<TlsSnapshot>,
    state: Mutex<State>,
}

impl std::fmt::Debug for TlsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStore")
            .field("snapshot", &*self.current.load())
            .finish()
    }
}

impl Default for TlsStore {
    fn default() -> Self {
        Self::new()
    }
}

impl TlsStore {
    /// An empty store (every handshake refused until a domain is put).
    pub fn new() -> Self {
        TlsStore {
            current: ArcSwap::from_pointee(TlsSnapshot::default()),
            state: Mutex::new(State::default()),
        }
    }

    /// The current snapshot, for one accept.
    pub fn snapshot(&self) -> Arc<TlsSnapshot> {
        self.current.load_full()
    }

    /// Adds or replaces a domain, checking everything at time `now`.
    pub fn put(
        &self,
        domain: &str,
        tls: DomainTls,
        now: SystemTime,
    ) -> Result<PutReport, TlsError> {
        let domain = names::normalize(domain)?;
        let policy = SecurityPolicy::parse(&tls.security_policy)?;
        let certificate = ServerCertificate::validate(&domain, &tls.certificate, now)?;
        let mut state = self.lock();
        let report = state.set(&domain, certificate, policy, tls.truststore)?;
        self.publish(&mut state);
        Ok(report)
    }

    /// Replaces a domain's certificate, keeping its policy and truststore.
    pub fn replace_certificate(
        &self,
        domain: &str,
        certificate: &CertificateInput,
        now: SystemTime,
    ) -> Result<PutReport, TlsError> {
        let domain = names::normalize(domain)?;
        let certificate = ServerCertificate::validate(&domain, certificate, now)?;
        self.update(&domain, |d| (certificate, d.policy, d.truststore.clone()))
    }

    /// Changes a domain's security policy.
    pub fn set_security_policy(&self, domain: &str, policy: &str) -> Result<PutReport, TlsError> {
        let domain = names::normalize(domain)?;
        let policy = SecurityPolicy::parse(policy)?;
        self.update(&domain, |d| {
            (d.certificate.clone(), policy, d.truststore.clone())
        })
    }

    /// Sets, replaces or (with `None`) removes a domain's mutual-TLS truststore.
    pub fn set_truststore(
        &self,
        domain: &str,
        truststore: Option<Truststore>,
    ) -> Result<PutReport, TlsError> {
        let domain = names::normalize(domain)?;
        self.update(&domain, |d| {
            (d.certificate.clone(), d.policy, truststore.clone())
        })
    }

    /// Removes a domain; true if it was there.
    pub fn remove(&self, domain: &str) -> bool {
        let Ok(domain) = names::normalize(domain) else {
            return false;
        };
        let mut state = self.lock();
        let removed = state.domains.remove(&domain).is_some();
        if removed {
            self.publish(&mut state);
        }
        removed
    }

    /// Applies a change to an existing domain.
    fn update(
        &self,
        domain: &str,
        change: impl FnOnce(&DomainState) -> (ServerCertificate, SecurityPolicy, Option<Truststore>),
    ) -> Result<PutReport, TlsError> {
        let mut state = self.lock();
        let current = state
            .domains
            .get(domain)
            .ok_or_else(|| TlsError::UnknownDomain(domain.to_string()))?;
        let (certificate, policy, truststore) = change(current);
        let report = state.set(domain, certificate, policy, truststore)?;
        self.publish(&mut state);
        Ok(report)
    }

    /// Swaps in a snapshot of `state` and drops bases no domain uses.
    fn publish(&self, state: &mut MutexGuard<'_, State>) {
        let domains = state
            .domains
            .iter()
            .map(|(name, d)| (name.clone(), d.entry.clone()))
            .collect();
        self.current.store(Arc::new(TlsSnapshot { domains }));
        let used: Vec<BaseKey> = state.domains.values().map(DomainState::base_key).collect();
        state.bases.retain(|k, _| used.contains(k));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-changed (every change
        // is one map insert), so a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DomainState {
    fn base_key(&self) -> BaseKey {
        (self.policy, self.truststore.as_ref().map_or(0, |t| t.id))
    }
}

impl State {
    /// Builds the domain's entry (from a cached or new base) and stores it.
    fn set(
        &mut self,
        domain: &str,
        certificate: ServerCertificate,
        policy: SecurityPolicy,
        truststore: Option<Truststore>,
    ) -> Result<PutReport, TlsError> {
        let key = (policy, truststore.as_ref().map_or(0, |t| t.id));
        let base = match self.bases.get(&key) {
            Some(b) => b.clone(),
            None => {
                let b = build_base(policy, truststore.as_ref())?;
                self.bases.insert(key, b.clone());
                b
            }
        };
        let mut config = (*base).clone();
        config.cert_resolver = Arc::new(OneCertificate(certificate.key.clone()));
        let entry = Arc::new(DomainEntry {
            domain: domain.to_string(),
            policy,
            not_after: certificate.not_after,
            mutual_tls: truststore.is_some(),
            config: Arc::new(config),
        });
        let report = PutReport {
            not_after: certificate.not_after,
            warnings: certificate.warnings.clone(),
            truststore_warnings: truststore
                .as_ref()
                .map(|t| t.warnings.clone())
                .unwrap_or_default(),
        };
        let state = DomainState {
            certificate,
            policy,
            truststore,
            entry,
        };
        self.domains.insert(domain.to_string(), state);
        Ok(report)
    }
}

/// The base configuration of a (policy, truststore): everything but the certificate.
fn build_base(
    policy: SecurityPolicy,
    truststore: Option<&Truststore>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let config_err = |e: rustls::Error| TlsError::Config(e.to_string());
    let verifier = match truststore {
        Some(t) => t.verifier.clone(),
        None => WebPkiClientVerifier::no_client_auth(),
    };
    let mut config = ServerConfig::builder_with_provider(policy.provider())
        .with_protocol_versions(policy.versions())
        .map_err(config_err)?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(NoCertificate));
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    config.session_storage = ServerSessionMemoryCache::new(SESSION_CACHE);
    config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(config_err)?;
    Ok(Arc::new(config))
}

/// The resolver of a domain's configuration: its one certificate.
struct OneCertificate(Arc<CertifiedKey>);

impl ResolvesServerCert for OneCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

impl std::fmt::Debug for OneCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OneCertificate(<redacted>)")
    }
}

/// The resolver of a base configuration, never used to serve.
#[derive(Debug)]
struct NoCertificate;

impl ResolvesServerCert for NoCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        None
    }
}
