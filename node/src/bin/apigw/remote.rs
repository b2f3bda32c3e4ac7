//! `apigw deploy`, `rollback`, `diff` and `apply`: a running node's
//! management API for people who do not use AWS tools. Every call is
//! SigV4-signed with the admin credentials: APIGW_ADMIN_ACCESS_KEY_ID and
//! APIGW_ADMIN_SECRET_ACCESS_KEY, or the `admin-credentials.json` a node
//! wrote into its data directory (`--credentials`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use apigw::model::diff::{diff, Change};
use apigw::model::{RestApi, Stage};
use apigw::outbound::HttpClient;
use apigw::sigv4::{signed_request, SigningKey};
use bytes::Bytes;
use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::config::{ApiSection, Loaded};

/// Which node, and how to sign.
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// The node's admin listener.
    #[arg(long, env = "APIGW_ADMIN_URL", default_value = "http://127.0.0.1:9090")]
    pub admin: String,
    /// A node's `admin-credentials.json` (when the environment has no keys).
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// The node's region (`node.region`): signatures are scoped to it.
    #[arg(long, env = "APIGW_REGION", default_value = "us-east-1")]
    pub region: String,
}

/// A signed client of one node's management API.
pub(crate) struct Admin {
    base: String,
    key: String,
    secret: String,
    region: String,
    client: HttpClient,
}

impl Admin {
    fn new(target: &Target) -> Result<Admin> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (key, secret) = match (
            env("APIGW_ADMIN_ACCESS_KEY_ID"),
            env("APIGW_ADMIN_SECRET_ACCESS_KEY"),
            &target.credentials,
        ) {
            (_, _, Some(path)) => read_credentials(path)?,
            (Some(k), Some(s), None) => (k, s),
            _ => bail!(
                "no admin credentials: set APIGW_ADMIN_ACCESS_KEY_ID and \
                 APIGW_ADMIN_SECRET_ACCESS_KEY, or pass --credentials DATA_DIR/admin-credentials.json"
            ),
        };
        Ok(Admin {
            base: target.admin.trim_end_matches('/').to_string(),
            key,
            secret,
            region: target.region.clone(),
            client: HttpClient::new(Duration::from_secs(5), 64 << 20)
                .context("cannot set up the HTTP client")?,
        })
    }

    /// One call; the JSON answer, or an error with AWS's type and message.
    async fn call(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Result<Value> {
        let (status, value) = self.try_call(method, path, body).await?;
        if status >= 300 {
            bail!(
                "{method} {path}: {status} {}: {}",
                value["__type"].as_str().unwrap_or("error"),
                value["message"].as_str().unwrap_or("")
            );
        }
        Ok(value)
    }

    async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(u16, Value)> {
        let url = format!("{}{path}", self.base);
        let body = Bytes::from(body.unwrap_or_default());
        let request = signed_request(
            method,
            &url,
            &[("content-type", "application/json")],
            body,
            &SigningKey {
                access_key_id: &self.key,
                secret_access_key: &self.secret,
                session_token: None,
                region: &self.region,
                service: "apigateway",
            },
        )
        .map_err(anyhow::Error::msg)?;
        let response = self
            .client
            .send(request)
            .await
            .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
        let status = response.status().as_u16();
        let kind = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = response.into_body().collect().await?.to_bytes();
        let mut value: Value = if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!({"message": String::from_utf8_lossy(&bytes)}))
        };
        if let (Some(kind), Some(map)) = (kind, value.as_object_mut()) {
            map.insert("__type".into(), json!(kind));
        }
        Ok((status, value))
    }

    /// One signed call whose body and answer are bytes (`apigw store`),
    /// bounded by `limit` (answer size) and `timeout` (the whole exchange).
    pub(crate) async fn raw(
        target: &Target,
        method: &str,
        path: &str,
        body: Vec<u8>,
        limit: usize,
        timeout: Duration,
    ) -> Result<(u16, Bytes)> {
        let admin = Admin::new(target)?;
        let url = format!("{}{path}", admin.base);
        let request = signed_request(
            method,
            &url,
            &[("content-type", "application/json")],
            Bytes::from(body),
            &SigningKey {
                access_key_id: &admin.key,
                secret_access_key: &admin.secret,
                session_token: None,
                region: "us-east-1",
                service: "apigateway",
            },
        )
        .map_err(anyhow::Error::msg)?;
        let exchange = async {
            let response = admin
                .client
                .send(request)
                .await
                .map_err(|e| anyhow::anyhow!("{url}: {e}"))?;
            let status = response.status().as_u16();
            let body = apigw::dataplane::body::read_limited(response.into_body(), limit)
                .await
                .map_err(|_| anyhow::anyhow!("{url}: the answer is over {limit} bytes"))?;
            Ok((status, body))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| anyhow::anyhow!("{url}: no answer within {timeout:?}"))?
    }

    /// The id of the API named or identified by `api`.
    async fn resolve(&self, api: &str) -> Result<String> {
        if self
            .try_call("GET", &format!("/restapis/{api}"), None)
            .await?
            .0
            == 200
        {
            return Ok(api.to_string());
        }
        let list = self.call("GET", "/restapis?limit=500", None).await?;
        let ids: Vec<String> = list["item"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["name"] == api)
            .filter_map(|a| a["id"].as_str().map(str::to_string))
            .collect();
        match ids.as_slice() {
            [id] => Ok(id.clone()),
            [] => bail!("no API has the id or name `{api}`"),
            _ => bail!(
                "several APIs are named `{api}`: {}; use an id",
                ids.join(", ")
            ),
        }
    }

    async fn definition(&self, id: &str) -> Result<Option<RestApi>> {
        let (status, value) = self
            .try_call("GET", &format!("/restapis/{id}?apigwDefinition=true"), None)
            .await?;
        match status {
            200 => Ok(Some(serde_json::from_value(value)?)),
            404 => Ok(None),
            other => bail!("GET /restapis/{id}: {other} {}", value["message"]),
        }
    }

    async fn stage(&self, id: &str, name: &str) -> Result<Option<Stage>> {
        let path = format!("/restapis/{id}/stages/{name}?apigwDefinition=true");
        let (status, value) = self.try_call("GET", &path, None).await?;
        match status {
            200 => Ok(Some(serde_json::from_value(value)?)),
            404 => Ok(None),
            other => bail!("GET {path}: {other} {}", value["message"]),
        }
    }
}

fn read_credentials(path: &Path) -> Result<(String, String)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let v: Value = serde_json::from_str(&text).with_context(|| format!("{}", path.display()))?;
    match (v["access_key_id"].as_str(), v["secret_access_key"].as_str()) {
        (Some(k), Some(s)) => Ok((k.to_string(), s.to_string())),
        _ => bail!("{} has no access_key_id/secret_access_key", path.display()),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")
}

/// `apigw deploy API STAGE`: a new deployment of the working definition.
pub fn deploy(target: &Target, api: &str, stage: &str, description: Option<String>) -> Result<()> {
    runtime()?.block_on(async {
        let admin = Admin::new(target)?;
        let id = admin.resolve(api).await?;
        let before = admin.stage(&id, stage).await?;
        let body = json!({"stageName": stage, "description": description.unwrap_or_else(|| "apigw deploy".into())});
        let deployment = admin
            .call("POST", &format!("/restapis/{id}/deployments"), Some(body.to_string().into_bytes()))
            .await?;
        println!(
            "{id} {stage}: {} -> {}",
            before.map_or("(new stage)".into(), |s| s.deployment_id),
            deployment["id"].as_str().unwrap_or("?")
        );
        Ok(())
    })
}

/// `apigw rollback API STAGE [--to DEPLOYMENT]`: points the stage at the
/// deployment it had before (or the one named).
pub fn rollback(target: &Target, api: &str, stage: &str, to: Option<String>) -> Result<()> {
    runtime()?.block_on(async {
        let admin = Admin::new(target)?;
        let id = admin.resolve(api).await?;
        let current = admin
            .stage(&id, stage)
            .await?
            .with_context(|| format!("API {id} has no stage {stage}"))?;
        let target_id = match to {
            Some(to) => to,
            None => current.history.last().cloned().with_context(|| {
                format!("stage {stage} has no earlier deployment to go back to")
            })?,
        };
        let ops = json!({"patchOperations": [{"op": "replace", "path": "/deploymentId", "value": target_id}]});
        admin
            .call("PATCH", &format!("/restapis/{id}/stages/{stage}"), Some(ops.to_string().into_bytes()))
            .await?;
        println!("{id} {stage}: {} -> {target_id}", current.deployment_id);
        Ok(())
    })
}

/// What `apply` would do to one API of a config file.
struct Plan {
    api: RestApi,
    changes: Vec<Change>,
    /// Per stage: (name, needs a deployment, the stage as it should be
    /// once deployed, without its deployment id; lines to show).
    stages: Vec<(String, bool, Option<Stage>, Vec<String>)>,
}

async fn plan_for(admin: &Admin, loaded: &Loaded, section: &ApiSection) -> Result<Plan> {
    let max = loaded.file.limits.max_integration_timeout_ms;
    let imported = crate::apply::import_section(loaded, section, max)?;
    let api = imported.api;
    let remote = admin.definition(&api.id).await?;
    let changes = diff(remote.as_ref(), &api);
    let mut stages = Vec::new();
    for wanted in &section.stages {
        let current = match remote {
            Some(_) => admin.stage(&api.id, &wanted.name).await?,
            None => None,
        };
        let mut lines = Vec::new();
        let deploy = !changes.is_empty() || current.is_none();
        if current.is_none() {
            lines.push("new stage".to_string());
        } else if deploy {
            lines.push("new deployment".to_string());
        }
        let mut desired = current
            .clone()
            .unwrap_or_else(|| Stage::new(&api.id, &wanted.name, "", apigw::store::unix_now()));
        desired.variables = wanted.variables.clone();
        desired.description = wanted.description.clone();
        desired.cache_cluster_enabled = wanted.cache.as_ref().is_some_and(|c| c.enabled);
        desired.method_settings = crate::apply::method_settings(wanted);
        let old_vars = current
            .as_ref()
            .map(|c| c.variables.clone())
            .unwrap_or_default();
        for (k, v) in &desired.variables {
            match old_vars.get(k) {
                None => lines.push(format!("+ variable {k}={v}")),
                Some(old) if old != v => lines.push(format!("~ variable {k}: {old} -> {v}")),
                _ => {}
            }
        }
        for k in old_vars
            .keys()
            .filter(|k| !desired.variables.contains_key(*k))
        {
            lines.push(format!("- variable {k}"));
        }
        if let Some(c) = &current {
            if c.method_settings != desired.method_settings
                || c.cache_cluster_enabled != desired.cache_cluster_enabled
            {
                lines.push("~ throttling / caching settings".into());
            }
            if c.description != desired.description {
                lines.push("~ description".into());
            }
        }
        let settle = (!lines.is_empty()).then_some(desired);
        stages.push((wanted.name.clone(), deploy, settle, lines));
    }
    Ok(Plan {
        api,
        changes,
        stages,
    })
}

fn print_plan(plan: &Plan) {
    println!("API {} ({})", plan.api.name, plan.api.id);
    if plan.changes.is_empty() {
        println!("  definition unchanged");
    }
    for change in &plan.changes {
        println!("  {change}");
    }
    for (name, _, _, lines) in &plan.stages {
        if lines.is_empty() {
            println!("  stage {name}: unchanged");
        } else {
            println!("  stage {name}: {}", lines.join("; "));
        }
    }
}

/// The config file (if any) with the template's APIs added.
fn load(config: Option<&Path>, template: &crate::template::TemplateArgs) -> Result<Loaded> {
    let mut loaded = match config {
        Some(path) => Loaded::read(path)?,
        None => Loaded::default(),
    };
    if let Some(t) = crate::template::add_to(template, &mut loaded)? {
        crate::template::print(&t, &loaded);
    }
    if loaded.file.apis.is_empty() {
        bail!(
            "{} declares no apis",
            config
                .or(template.template.as_deref())
                .unwrap_or(Path::new("the config"))
                .display()
        );
    }
    Ok(loaded)
}

/// `apigw diff CONFIG`: what `apply` would change. Exit status 0 when
/// nothing would, 2 when something would.
pub fn diff_config(
    target: &Target,
    config: Option<&Path>,
    template: &crate::template::TemplateArgs,
) -> Result<bool> {
    let loaded = load(config, template)?;
    runtime()?.block_on(async {
        let admin = Admin::new(target)?;
        let mut any = false;
        for section in &loaded.file.apis {
            let plan = plan_for(&admin, &loaded, section).await?;
            any |= !plan.changes.is_empty() || plan.stages.iter().any(|s| !s.3.is_empty());
            print_plan(&plan);
        }
        Ok(any)
    })
}

/// `apigw apply CONFIG`: brings the node's APIs and stages in line with
/// the config file, printing what changes.
pub fn apply_config(
    target: &Target,
    config: Option<&Path>,
    template: &crate::template::TemplateArgs,
) -> Result<()> {
    let loaded = load(config, template)?;
    runtime()?.block_on(async {
        let admin = Admin::new(target)?;
        for section in &loaded.file.apis {
            let progress = apigw::progress::Progress::spinner(format!(
                "comparing {} with the node",
                loaded.document_path(section).display()
            ));
            let plan = plan_for(&admin, &loaded, section).await?;
            drop(progress);
            print_plan(&plan);
            let id = plan.api.id.clone();
            if !plan.changes.is_empty() {
                admin
                    .call(
                        "PUT",
                        &format!("/restapis/{id}?apigwDefinition=true"),
                        Some(serde_json::to_vec(&plan.api)?),
                    )
                    .await?;
            }
            for (name, deploy, desired, _) in plan.stages {
                let Some(mut desired) = desired else { continue };
                if deploy {
                    let body = json!({"stageName": name, "description": "apigw apply"});
                    let d = admin
                        .call(
                            "POST",
                            &format!("/restapis/{id}/deployments"),
                            Some(body.to_string().into_bytes()),
                        )
                        .await?;
                    println!("  deployed {name}: {}", d["id"].as_str().unwrap_or("?"));
                }
                // The stage as the deployment left it, with the config's settings.
                let now = admin
                    .stage(&id, &name)
                    .await?
                    .with_context(|| format!("stage {name} vanished"))?;
                desired.deployment_id = now.deployment_id.clone();
                desired.history = now.history.clone();
                desired.created_date = now.created_date;
                desired.last_updated_date = apigw::store::unix_now();
                admin
                    .call(
                        "PUT",
                        &format!("/restapis/{id}/stages/{name}?apigwDefinition=true"),
                        Some(serde_json::to_vec(&desired)?),
                    )
                    .await?;
            }
        }
        Ok(())
    })
}
