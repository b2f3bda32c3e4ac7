//! AWS WAF v2 on stages: the `wafv2` JSON 1.1 API on the admin listener
//! ([`api`]: `POST /` with `X-Amz-Target: AWSWAF_20190729.<Op>`, signed
//! for service `wafv2` with the admin credentials). The web ACLs the data
//! plane's `waf` phase evaluates live in [`crate::web_acls`] (one compiled
//! ACL per protected stage, rebuilt whenever the control plane applies a
//! command), below the control plane, the data plane and this API.
//!
//! Objects are stored whole through control commands (`PutWaf`,
//! `DeleteWaf`, `PutWafAssociation`), so a cluster replicates them over
//! Raft like every other change; the engine is `apigw-waf`.

pub mod api;
mod errors;

pub use errors::WafError;

/// The JSON 1.1 target prefix of every wafv2 operation.
pub const TARGET_PREFIX: &str = "AWSWAF_20190729.";
