//! Applying a control command to the store: every node applies the same
//! commands in the same order (through Raft in a cluster), each as one
//! transaction.

use apigw_model::command::{api_digest, ControlCommand, STALE_API};

use crate::{Store, StoreError};

/// Why a command was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// A conditional put whose base is no longer the stored API.
    #[error("{STALE_API}")]
    Stale,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Applies `command`; a [`ControlCommand::PutApiIf`] only if the stored
    /// API still has the digest it was based on.
    pub fn apply(&self, command: ControlCommand) -> Result<(), ApplyError> {
        if let ControlCommand::PutApiIf { api, base } = &command {
            let current = self.get_api(&api.id)?;
            if current.as_ref().map(api_digest).as_deref() != Some(base.as_str()) {
                return Err(ApplyError::Stale);
            }
        }
        match command {
            ControlCommand::PutApiIf { api, .. } => self.put_api(&api),
            ControlCommand::PutApi(api) => self.put_api(&api),
            ControlCommand::PutDeployment(d) => self.put_deployment(&d),
            ControlCommand::PutStage(stage) => self.put_stage(&stage),
            ControlCommand::DeleteApi(id) => self.delete_api(&id),
            ControlCommand::PutApiKey(key) => self.put_api_key(&key),
            ControlCommand::PutUsagePlan(plan) => self.put_usage_plan(&plan),
            ControlCommand::DeleteApiKey(id) => self.delete_api_key(&id),
            ControlCommand::DeleteUsagePlan(id) => self.delete_usage_plan(&id),
            ControlCommand::PutFunction(decl) => self.put_function(&decl),
            ControlCommand::DeleteFunction(name) => self.delete_function(&name),
            ControlCommand::DeleteStage(api, name) => self.delete_stage(&api, &name),
            ControlCommand::DeleteDeployment(api, id) => self.delete_deployment(&api, &id),
            ControlCommand::PutDomain(domain) => self.put_domain(&domain),
            ControlCommand::PutTags(resource, tags) => self.put_tags(&resource, &tags),
            ControlCommand::DeleteDomain(name) => self.delete_domain(&name),
        }
        .map_err(ApplyError::from)
    }
}
