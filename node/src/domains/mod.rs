//! Custom domain names as the data plane serves them: the routing table
//! ([`DomainTable`]: base path mappings, closed default endpoints) and the
//! TLS store ([`apigw_tls::TlsStore`]: each domain's certificate, security
//! policy and truststore), both rebuilt from the store after every change
//! ([`Domains::reload`]) and from the node's config ([`Sources`]: PEM files
//! for config domains, certificates named by ARN, `s3://` truststores mapped
//! to local files).
//!
//! The node also reloads every [`FILE_CHECK`], so a changed certificate or
//! truststore file is served without a restart.
//!
//! A domain's TLS entry is put again only when what it is built from changed
//! (a digest of the PEM text, the policy and the truststore file's size and
//! modification time), so a reload does not rebuild TLS configurations nor
//! reset session tickets. A certificate that fails its checks leaves the
//! domain's previous one serving and is logged by domain name (never its
//! content).

mod sources;
mod table;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use apigw_tls::{CertificateInput, DomainTls, TlsStore, Truststore};
use arc_swap::ArcSwap;

pub use sources::{CertificateFiles, ConfigDomain, ConfigMapping, Sources};
pub use table::{DomainTable, Mapping, Routed, NO_BASE_PATH};

use crate::model::{DomainName, RestApi};
use crate::store::{Store, StoreError};

/// How often the node re-reads certificate and truststore files.
pub const FILE_CHECK: std::time::Duration = std::time::Duration::from_secs(15);

/// AWS's default security policy for a domain name.
pub const DEFAULT_POLICY: &str = "TLS_1_2";

/// The node's custom domains.
pub struct Domains {
    routes: ArcSwap<DomainTable>,
    tls: Arc<TlsStore>,
    sources: Sources,
    /// Domain -> digest of what its TLS entry was last built from.
    built: Mutex<HashMap<String, u64>>,
}

impl std::fmt::Debug for Domains {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Domains")
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Default for Domains {
    fn default() -> Self {
        Domains::new(Sources::default())
    }
}

/// What a domain's TLS entry is built from.
struct TlsInput {
    certificate: CertificateInput,
    policy: String,
    truststore: Option<std::path::PathBuf>,
}

impl Domains {
    /// No domains yet; `sources` are the config's.
    pub fn new(sources: Sources) -> Domains {
        Domains {
            routes: ArcSwap::from_pointee(DomainTable::default()),
            tls: Arc::new(TlsStore::new()),
            sources,
            built: Mutex::new(HashMap::new()),
        }
    }

    /// The routing table, for one request.
    pub fn routes(&self) -> Arc<DomainTable> {
        self.routes.load_full()
    }

    /// The TLS store the TLS listener accepts with.
    pub fn tls(&self) -> &Arc<TlsStore> {
        &self.tls
    }

    /// Rebuilds the table and brings the TLS store in line with the stored
    /// domains and the config's.
    pub fn reload(&self, store: &Store) -> Result<(), StoreError> {
        // One reload at a time, so an older read never replaces a newer one.
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        let stored = store.list_domains()?;
        let apis = store.list_apis()?;
        let mut table = DomainTable::default();
        for api in apis.iter().filter(|a| a.disable_execute_api_endpoint) {
            table.close_default_endpoint(&api.id);
        }
        let mut inputs: HashMap<String, TlsInput> = HashMap::new();
        for config in &self.sources.domains {
            table.insert(&config.name, config_mappings(config, &apis));
            match config.certificate.read() {
                Ok(certificate) => {
                    let policy = config.security_policy.clone();
                    inputs.insert(
                        config.name.clone(),
                        TlsInput {
                            certificate,
                            policy: policy.unwrap_or_else(|| DEFAULT_POLICY.into()),
                            truststore: config.truststore.clone(),
                        },
                    );
                }
                Err(e) => {
                    tracing::warn!(domain = %config.name, error = %e, "cannot read the domain's certificate files")
                }
            }
        }
        for d in &stored {
            let mut mappings: Vec<Mapping> = d
                .mappings
                .iter()
                .map(|(base, m)| Mapping::new(base, &m.rest_api_id, m.stage.as_deref()))
                .collect();
            // A config domain's own mappings stay; the management API's are added.
            let config = self
                .sources
                .domains
                .iter()
                .find(|c| c.name == d.domain_name);
            if let Some(config) = config {
                mappings.extend(config_mappings(config, &apis));
            }
            table.insert(&d.domain_name, mappings);
            if let Some(input) = self.tls_input(d) {
                inputs.insert(d.domain_name.clone(), input);
            }
        }
        self.routes.store(Arc::new(table));
        self.sync_tls(&mut built, inputs);
        Ok(())
    }

    /// A stored domain's certificate: uploaded, else the config's for its ARN.
    fn tls_input(&self, d: &DomainName) -> Option<TlsInput> {
        let certificate = match &d.certificate {
            Some(c) => CertificateInput {
                body: c.body.clone(),
                private_key: c.private_key.0.clone().into(),
                chain: c.chain.clone(),
            },
            None => {
                let arn = d
                    .regional_certificate_arn
                    .as_ref()
                    .or(d.certificate_arn.as_ref())?;
                let Some(files) = self.sources.certificates.get(arn) else {
                    tracing::warn!(domain = %d.domain_name, %arn, "no certificate configured for this ARN (tls.certificates); the domain is not served over TLS");
                    return None;
                };
                match files.read() {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(domain = %d.domain_name, error = %e, "cannot read the domain's certificate files");
                        return None;
                    }
                }
            }
        };
        let truststore = match &d.mutual_tls {
            Some(m) => match self.sources.truststore_path(&m.truststore_uri) {
                Some(path) => Some(path),
                None => {
                    tracing::warn!(domain = %d.domain_name, uri = %m.truststore_uri, "no local file for this truststoreUri (tls.truststores); the domain is not served over TLS");
                    return None;
                }
            },
            None => None,
        };
        Some(TlsInput {
            certificate,
            policy: d
                .security_policy
                .clone()
                .unwrap_or_else(|| DEFAULT_POLICY.into()),
            truststore,
        })
    }

    /// Puts what changed, removes what went.
    fn sync_tls(&self, built: &mut HashMap<String, u64>, inputs: HashMap<String, TlsInput>) {
        built.retain(|domain, _| {
            let keep = inputs.contains_key(domain);
            if !keep {
                self.tls.remove(domain);
            }
            keep
        });
        let now = SystemTime::now();
        for (domain, input) in inputs {
            let digest = digest(&input);
            if built.get(&domain) == Some(&digest) {
                continue;
            }
            let truststore = match &input.truststore {
                Some(path) => match Truststore::load(path, now) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        tracing::warn!(%domain, error = %e, "cannot load the domain's truststore; its previous TLS setup stays");
                        continue;
                    }
                },
                None => None,
            };
            let tls = DomainTls {
                certificate: input.certificate,
                security_policy: input.policy,
                truststore,
            };
            match self.tls.put(&domain, tls, now) {
                Ok(report) => {
                    for w in report.warnings.iter().chain(&report.truststore_warnings) {
                        tracing::warn!(%domain, "{w}");
                    }
                    tracing::info!(%domain, not_after = report.not_after, "serving the domain's certificate");
                    built.insert(domain, digest);
                }
                Err(e) => {
                    tracing::warn!(%domain, error = %e, "the domain's certificate was not accepted; its previous TLS setup stays")
                }
            }
        }
    }

    /// `apigw_tls_certificate_not_after_seconds{domain}` in Prometheus text.
    pub fn metrics(&self) -> String {
        let mut out = String::from(
            "# HELP apigw_tls_certificate_not_after_seconds When each custom domain's served certificate expires (Unix seconds).\n# TYPE apigw_tls_certificate_not_after_seconds gauge\n",
        );
        for (domain, not_after) in self.tls.snapshot().not_after_seconds() {
            out.push_str(&format!(
                "apigw_tls_certificate_not_after_seconds{{domain=\"{domain}\"}} {not_after}\n"
            ));
        }
        out
    }
}

/// A config domain's mappings, APIs named by id or name (one that does not
/// exist is skipped, and logged).
fn config_mappings(config: &ConfigDomain, apis: &[RestApi]) -> Vec<Mapping> {
    let api_id = |name_or_id: &str| {
        apis.iter()
            .find(|a| a.id == name_or_id)
            .or_else(|| apis.iter().find(|a| a.name == name_or_id))
            .map(|a| a.id.clone())
    };
    let mut out = Vec::new();
    for m in &config.mappings {
        match api_id(&m.api) {
            Some(id) => out.push(Mapping::new(&m.base_path, &id, m.stage.as_deref())),
            None => {
                tracing::warn!(domain = %config.name, api = %m.api, "base path mapping to an API that does not exist; skipped")
            }
        }
    }
    out
}

/// What a TLS entry is built from, as a number: PEM text, policy, and the
/// truststore file's path, size and modification time.
fn digest(input: &TlsInput) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    input.certificate.body.hash(&mut h);
    input.certificate.private_key.expose().hash(&mut h);
    input.certificate.chain.hash(&mut h);
    input.policy.hash(&mut h);
    if let Some(path) = &input.truststore {
        path.hash(&mut h);
        if let Ok(meta) = std::fs::metadata(path) {
            meta.len().hash(&mut h);
            meta.modified().ok().hash(&mut h);
        }
    }
    h.finish()
}
