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
    /// Replaces the account's settings.
    PutAccount(Box<crate::account::AccountSettings>),
    /// Creates or replaces a wafv2 object (keyed by its ARN).
    PutWaf(Box<crate::waf::WafItem>),
    /// Deletes the wafv2 object with this ARN.
    DeleteWaf(String),
    /// Associates the web ACL (`Some` ARN) with the stage ARN, or
    /// disassociates it (`None`).
    PutWafAssociation(String, Option<String>),
    /// Creates or replaces a WebSocket API, whole (definition, deployments
    /// and stages).
    PutWsApi(Box<crate::websocket::WsApi>),
    /// Deletes the WebSocket API with this id.
    DeleteWsApi(String),
    /// Applies `command` only if `record` is still what the proposer read
    /// (its [`record_digest`] is `base`): read-modify-write of a whole
    /// record (a stage, a usage plan, tags, the account) made on two nodes
    /// at once cannot lose one.
    PutIf {
        record: Record,
        base: String,
        command: Box<ControlCommand>,
    },
    /// Replaces an API only if it is still the one with digest `base`
    /// ([`api_digest`]): edits made on two nodes at once cannot lose one.
    PutApiIf {
        api: Box<RestApi>,
        base: String,
    },
}

/// A record a [`ControlCommand::PutIf`] is conditional on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// API id, stage name.
    Stage(String, String),
    /// Usage plan id.
    UsagePlan(String),
    /// The tags of a resource path.
    Tags(String),
    /// The account's settings.
    Account,
    /// A wafv2 object, by ARN.
    Waf(String),
    /// A WebSocket API, by id.
    WsApi(String),
}

/// A digest of a record's stored form (SHA-256 of its JSON, hex; a record
/// that is not there is `null`).
pub fn record_digest<T: Serialize>(record: Option<&T>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(serde_json::to_vec(&record).unwrap_or_default());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a [`ControlCommand::PutApiIf`] answers when the API changed since
/// its base was read (and a [`ControlCommand::PutIf`] when its record did).
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
