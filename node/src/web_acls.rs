//! The web ACLs the data plane evaluates: for every stage with an
//! associated web ACL, that ACL compiled against the stored IP sets, regex
//! pattern sets and rule groups. Rebuilt from the store whenever the control
//! plane applies a command (so a change made on any node of a cluster takes
//! effect everywhere once Raft has applied it), swapped in atomically.
//!
//! Rate-based rules count through the node's throttle/quota
//! [`Counters`](crate::throttle::Counters): one quota key per rule instance,
//! aggregation key and 10-second bucket. In a cluster these are the gossiped
//! CRDT counters, so every node sees every node's requests once gossip has
//! carried them; until then each node may admit up to the limit on its own
//! (see the README's WAF section for the bound).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use arc_swap::ArcSwap;

use apigw_waf::rate::{bucket_of, in_window, BUCKET_SEC};
use apigw_waf::{CompileOptions, CompiledWebAcl, RateCounters, RateKey, Resources};

use crate::model::waf::{parse_stage_arn, WafItem, WafKind};
use crate::store::Store;
use crate::throttle::Counters;

/// A stage's web ACL, compiled.
pub struct Protection {
    /// The web ACL's ARN (`$context.webaclArn`).
    pub arn: String,
    pub acl: CompiledWebAcl,
}

/// The compiled web ACL of every protected stage.
pub struct WebAcls {
    /// (API id, stage name) -> its protection.
    by_stage: ArcSwap<HashMap<(String, String), Arc<Protection>>>,
    counters: QuotaRateCounters,
    /// Per-rule Allowed/Blocked/Counted... counts since the node started.
    tallies: apigw_waf::Tallies,
}

impl WebAcls {
    /// No stage protected yet; rate-based rules count in `counters`.
    pub fn new(counters: Arc<dyn Counters>) -> WebAcls {
        WebAcls {
            by_stage: ArcSwap::from_pointee(HashMap::new()),
            counters: QuotaRateCounters { counters },
            tallies: apigw_waf::Tallies::default(),
        }
    }

    /// The web ACL protecting a stage, if any.
    pub fn for_stage(&self, api_id: &str, stage: &str) -> Option<Arc<Protection>> {
        self.by_stage
            .load()
            .get(&(api_id.to_string(), stage.to_string()))
            .cloned()
    }

    /// Counts a verdict in the per-rule tallies.
    pub fn tally(&self, verdict: &apigw_waf::Verdict) {
        self.tallies.record(verdict);
    }

    /// The per-rule tallies (metric name -> counts).
    pub fn tallies(&self) -> std::collections::BTreeMap<String, apigw_waf::Counts> {
        self.tallies.snapshot()
    }

    /// The tallies in Prometheus's text format:
    /// `apigw_waf_requests_total{metric="<rule metric name>",action="blocked"}`.
    pub fn prometheus(&self) -> String {
        let tallies = self.tallies();
        if tallies.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "# HELP apigw_waf_requests_total Requests per web ACL rule metric name and action (AWS WAF's AllowedRequests, BlockedRequests...).\n# TYPE apigw_waf_requests_total counter\n",
        );
        for (metric, c) in tallies {
            let metric = metric.replace(['\\', '"', '\n'], "_");
            for (action, n) in [
                ("allowed", c.allowed),
                ("blocked", c.blocked),
                ("counted", c.counted),
                ("captcha", c.captcha),
                ("challenge", c.challenge),
            ] {
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "apigw_waf_requests_total{{metric=\"{metric}\",action=\"{action}\"}} {n}"
                    );
                }
            }
        }
        out
    }

    /// What rate-based rules count with.
    pub fn counters(&self) -> &dyn RateCounters {
        &self.counters
    }

    /// Recompiles every associated web ACL from the store. The API refuses
    /// what does not compile, so a stored ACL that does not (a store written
    /// by hand) is logged and its stages are served without it.
    pub fn reload(&self, store: &Store) {
        let (items, associations) = match (store.list_waf(), store.list_waf_associations()) {
            (Ok(i), Ok(a)) => (i, a),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot read the wafv2 objects; web ACLs unchanged");
                return;
            }
        };
        let (resources, problems) = resources(&items);
        for p in problems {
            tracing::warn!(target: "apigw::waf", "{p}");
        }
        let opts = options();
        let mut compiled: HashMap<String, Option<Arc<Protection>>> = HashMap::new();
        let mut by_stage = HashMap::new();
        for (resource, acl_arn) in associations {
            let Some((api, stage)) = parse_stage_arn(&resource) else {
                continue;
            };
            let protection = compiled
                .entry(acl_arn.clone())
                .or_insert_with(|| compile_one(&items, &acl_arn, &resources, &opts))
                .clone();
            match protection {
                Some(p) => {
                    by_stage.insert((api.to_string(), stage.to_string()), p);
                }
                None => tracing::error!(
                    target: "apigw::waf",
                    web_acl = %acl_arn, stage = %resource,
                    "the associated web ACL does not compile; the stage is served without it"
                ),
            }
        }
        self.by_stage.store(Arc::new(by_stage));
    }
}

fn compile_one(
    items: &[WafItem],
    arn: &str,
    resources: &Resources,
    opts: &CompileOptions,
) -> Option<Arc<Protection>> {
    let item = items
        .iter()
        .find(|i| i.kind == WafKind::WebAcl && i.arn == arn)?;
    let parsed = apigw_waf::parse_web_acl(&item.body.to_string())
        .map_err(|e| tracing::error!(target: "apigw::waf", web_acl = %arn, error = %e, "stored web ACL unreadable"))
        .ok()?;
    let acl = apigw_waf::compile(&parsed.0, resources, opts)
        .map_err(|e| tracing::error!(target: "apigw::waf", web_acl = %arn, error = %e, "stored web ACL refused"))
        .ok()?;
    Some(Arc::new(Protection {
        arn: arn.to_string(),
        acl,
    }))
}

/// The engine's options as this node compiles with (API dialect, the
/// gateway's account, API_GATEWAY body limits).
pub fn options() -> CompileOptions {
    CompileOptions {
        account_id: crate::policy::account().to_string(),
        ..CompileOptions::default()
    }
}

/// The stored sets and groups as the engine's resources, with what did not
/// parse.
pub fn resources(items: &[WafItem]) -> (Resources, Vec<String>) {
    let mut res = Resources::default();
    let mut problems = Vec::new();
    for item in items {
        let text = item.body.to_string();
        let outcome = match item.kind {
            WafKind::WebAcl => Ok(()),
            WafKind::IpSet => apigw_waf::parse_ip_set(&text).map(|s| res.add_ip_set(&item.arn, s)),
            WafKind::RegexPatternSet => apigw_waf::parse_regex_pattern_set(&text)
                .map(|s| res.add_regex_pattern_set(&item.arn, s)),
            WafKind::RuleGroup => {
                apigw_waf::parse_rule_group(&text).map(|(g, _)| res.add_rule_group(&item.arn, g))
            }
        };
        if let Err(e) = outcome {
            problems.push(format!("stored wafv2 object {} unreadable: {e}", item.arn));
        }
    }
    (res, problems)
}

/// Rate counting on the node's quota counters: the count of a window is
/// the sum of its 10-second buckets, each a quota key of its own.
struct QuotaRateCounters {
    counters: Arc<dyn Counters>,
}

impl QuotaRateCounters {
    fn key(key: &RateKey<'_>, bucket: u64) -> String {
        let mut k = format!("waf|{}|", key.instance);
        for b in key.key {
            let _ = write!(k, "{b:02x}");
        }
        let _ = write!(k, "|{bucket}");
        k
    }
}

impl RateCounters for QuotaRateCounters {
    fn add(&self, key: &RateKey<'_>, now: u64) {
        let bucket = bucket_of(now);
        let _ = self
            .counters
            .try_consume(&Self::key(key, bucket), bucket, u64::MAX);
    }

    fn count(&self, key: &RateKey<'_>, now: u64) -> u64 {
        let newest = bucket_of(now);
        let mut total = 0;
        let mut bucket = newest;
        while in_window(bucket, key.window_sec, now) {
            total += self.counters.used(&Self::key(key, bucket), bucket);
            match bucket.checked_sub(BUCKET_SEC) {
                Some(b) => bucket = b,
                None => break,
            }
        }
        total
    }
}

/// The ARN of the web ACL associated with a stage, if any (GetStage's
/// `webAclArn`).
pub fn web_acl_arn(store: &Store, api_id: &str, stage: &str) -> Option<String> {
    store
        .list_waf_associations()
        .ok()?
        .into_iter()
        .find(|(resource, _)| parse_stage_arn(resource) == Some((api_id, stage)))
        .map(|(_, acl)| acl)
}
