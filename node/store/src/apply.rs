//! Applying a control command to the store: every node applies the same
//! commands in the same order (through Raft in a cluster), each as one
//! transaction.

use apigw_model::command::{api_digest, record_digest, ControlCommand, Record, STALE_API};

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
            ControlCommand::PutIf {
                record,
                base,
                command,
            } => {
                if self.digest_of(&record)? != base {
                    return Err(ApplyError::Stale);
                }
                return self.apply(*command);
            }
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
            ControlCommand::PutAccount(settings) => self.put_account(&settings),
            ControlCommand::PutWaf(item) => self.put_waf(&item),
            ControlCommand::DeleteWaf(arn) => self.delete_waf(&arn),
            ControlCommand::PutWafAssociation(resource, acl) => {
                self.put_waf_association(&resource, acl.as_deref())
            }
            ControlCommand::PutWsApi(api) => self.put_ws_api(&api),
            ControlCommand::DeleteWsApi(id) => self.delete_ws_api(&id),
        }
        .map_err(ApplyError::from)
    }
}

impl Store {
    /// The [`record_digest`] of what `record` names now.
    pub fn digest_of(&self, record: &Record) -> Result<String, StoreError> {
        Ok(match record {
            Record::Stage(api, name) => record_digest(self.get_stage(api, name)?.as_ref()),
            Record::UsagePlan(id) => {
                let plans = self.list_usage_plans()?;
                record_digest(plans.iter().find(|p| p.id == *id))
            }
            Record::Tags(resource) => record_digest(Some(&self.get_tags(resource)?)),
            Record::Account => record_digest(Some(&self.get_account()?)),
            Record::Waf(arn) => record_digest(self.get_waf(arn)?.as_ref()),
            Record::WsApi(id) => record_digest(self.get_ws_api(id)?.as_ref()),
        })
    }
}
