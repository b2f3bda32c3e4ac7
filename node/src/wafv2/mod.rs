//! AWS WAF v2 on stages: the `wafv2` JSON 1.1 API on the admin listener
//! ([`api`]: `POST /` with `X-Amz-Target: AWSWAF_20190729.<Op>`, signed
//! for service `wafv2` with the admin credentials) and the web ACLs the data
//! plane's `waf` phase evaluates ([`acls`]: one compiled ACL per protected
//! stage, rebuilt whenever the control plane applies a command).
//!
//! Objects are stored whole through control commands (`PutWaf`,
//! `DeleteWaf`, `PutWafAssociation`), so a cluster replicates them over
//! Raft like every other change; the engine is `apigw-waf`.

pub mod acls;
pub mod api;
mod errors;

pub use acls::WebAcls;
pub use errors::WafError;

/// The account id in wafv2 ARNs (the gateway has one account).
pub const ACCOUNT_ID: &str = "000000000000";

/// The JSON 1.1 target prefix of every wafv2 operation.
pub const TARGET_PREFIX: &str = "AWSWAF_20190729.";

/// The ARN of the web ACL associated with a stage, if any (GetStage's
/// `webAclArn`).
pub fn web_acl_arn(store: &crate::store::Store, api_id: &str, stage: &str) -> Option<String> {
    store
        .list_waf_associations()
        .ok()?
        .into_iter()
        .find(|(resource, _)| crate::model::waf::parse_stage_arn(resource) == Some((api_id, stage)))
        .map(|(_, acl)| acl)
}
