//! What a change to the control-plane state is: one command, carrying whole
//! objects (a deployment keeps the id its proposer gave it), so applying it
//! is deterministic on every node. Commands travel through the Raft log as
//! JSON; the store applies them.

use serde::{Deserialize, Serialize};

use crate::function::FunctionDecl;
use crate::usage::{ApiKey, UsagePlan};
use crate::{Deployment, DomainName, RestApi, Stage};

/// A change to the control-plane state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ControlCommand {
    PutApi(Box<RestApi>),
    PutDeployment(Box<Deployment>),
    PutStage(Box<Stage>),
    DeleteApi(String),
    PutApiKey(Box<ApiKey>),
    PutUsagePlan(Box<UsagePlan>),
    DeleteApiKey(String),
    DeleteUsagePlan(String),
    PutFunction(Box<FunctionDecl>),
    DeleteFunction(String),
    /// API id, stage name.
    DeleteStage(String, String),
    /// API id, deployment id.
    DeleteDeployment(String, String),
    PutDomain(Box<DomainName>),
    DeleteDomain(String),
    /// Resource path (`/restapis/{id}`...), its tags (empty: none).
    PutTags(String, std::collections::BTreeMap<String, String>),
    /// Replaces an API only if it is still the one with digest `base`
    /// ([`api_digest`]): edits made on two nodes at once cannot lose one.
    PutApiIf {
        api: Box<RestApi>,
        base: String,
    },
}

/// What a [`ControlCommand::PutApiIf`] answers when the API changed since
/// its base was read.
pub const STALE_API: &str = "the API changed while this change was being made";

/// A digest of an API's definition (SHA-256 of its stored form, hex).
pub fn api_digest(api: &RestApi) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(serde_json::to_vec(api).unwrap_or_default());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl ControlCommand {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}
