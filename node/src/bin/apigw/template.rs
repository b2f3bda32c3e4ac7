//! `--template FILE`: a SAM or CloudFormation template read from disk,
//! translated by `apigw::model::template`, and added to the config as if
//! its APIs, functions, API keys, usage plans and domains had been
//! declared there (`serve`, `check`, `diff`, `apply` then treat them
//! alike). Functions run locally from their code folders: Python through
//! `awslambdaric`, Node.js through `aws-lambda-ric`, `provided*` runtimes
//! as their `bootstrap`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use apigw::model::template::{
    self, Finding, Inputs, Severity, TemplateFunction, TemplateStage, Translated,
};

use crate::config::{
    ApiKeySection, ApiSection, BasePathSection, DomainSection, FunctionSection, Loaded,
    MethodCacheSection, MethodSection, PlanStageSection, QuotaSection, StageCacheSection,
    StageSection, ThrottleSection, UsagePlanSection,
};

/// The account id templates see as `AWS::AccountId` (the one the data
/// plane puts in `$context.accountId`).
const ACCOUNT_ID: &str = "000000000000";

/// The template flags (`serve`, `check`, `diff`, `apply`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TemplateArgs {
    /// A SAM or CloudFormation template (YAML or JSON) to serve.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// Template parameters, as SAM takes them: `Key=Value` words or
    /// `ParameterKey=Key,ParameterValue=Value`.
    #[arg(long, num_args = 1.., value_name = "KEY=VALUE", requires = "template")]
    pub parameter_overrides: Vec<String>,
    /// The stack name templates see as `AWS::StackName` [default: the name
    /// of a CDK `NAME.template.json`, else the template's folder].
    #[arg(long, requires = "template")]
    pub stack_name: Option<String>,
}

/// Reads files a template names, relative to its folder.
struct Folder(PathBuf);

impl template::Files for Folder {
    fn read(&self, path: &str) -> Result<String, String> {
        let path = self.0.join(path);
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    }
}

/// Translates the template and adds what it declares to `loaded`.
pub fn add_to(args: &TemplateArgs, loaded: &mut Loaded) -> Result<Option<Translated>> {
    let Some(path) = &args.template else {
        return Ok(None);
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let inputs = Inputs {
        region: loaded
            .file
            .node
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".into()),
        account_id: ACCOUNT_ID.into(),
        stack_name: args.stack_name.clone().unwrap_or_else(|| stack_name(path)),
        overrides: template::parameters::parse_overrides(&args.parameter_overrides)?,
    };
    let translated = template::translate(&text, &inputs, &Folder(folder.clone()))
        .with_context(|| format!("{} is not a template apigw can serve", path.display()))?;
    merge(&translated, &folder, loaded).with_context(|| format!("{}", path.display()))?;
    Ok(Some(translated))
}

fn stack_name(path: &Path) -> String {
    let file = path
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    if let Some(stack) = file.strip_suffix(".template.json") {
        return stack.to_string();
    }
    let folder = std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    folder
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|f| f.to_str())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or("sam-app")
        .to_string()
}

fn merge(t: &Translated, folder: &Path, loaded: &mut Loaded) -> Result<()> {
    let file = &mut loaded.file;
    for api in &t.apis {
        if file
            .apis
            .iter()
            .any(|a| a.id.as_deref() == Some(api.id.as_str()))
        {
            bail!(
                "API {} ({}) is also declared in the config",
                api.logical_id,
                api.id
            );
        }
        file.apis.push(ApiSection {
            id: Some(api.id.clone()),
            name: Some(api.name.clone()),
            openapi: PathBuf::from(format!("{} (api {})", api.logical_id, api.id)),
            region: None,
            stages: api.stages.iter().map(stage).collect::<Result<_>>()?,
            document: Some(api.document.clone()),
        });
    }
    for f in &t.functions {
        if file.functions.iter().any(|c| c.name == f.name) {
            bail!("function {} is also declared in the config", f.name);
        }
        apigw::names::function_name(&f.name)
            .map_err(|e| anyhow::anyhow!("function {}: {e}", f.logical_id))?;
        file.functions.push(function(f, folder)?);
    }
    for k in &t.api_keys {
        file.api_keys.push(ApiKeySection {
            name: k.name.clone(),
            value: k.value.clone(),
            enabled: k.enabled,
        });
    }
    for p in &t.usage_plans {
        file.usage_plans.push(UsagePlanSection {
            name: p.name.clone(),
            throttle: p
                .throttle
                .map(|(rate, burst)| ThrottleSection { rate, burst }),
            quota: p.quota.clone().map(|(limit, period, offset)| QuotaSection {
                limit,
                period,
                offset,
            }),
            stages: p
                .stages
                .iter()
                .map(|(api, stage)| PlanStageSection {
                    api: api.clone(),
                    stage: stage.clone(),
                    methods: BTreeMap::new(),
                })
                .collect(),
            keys: p.keys.clone(),
        });
    }
    for d in &t.domains {
        let Some(files) = d
            .certificate_arn
            .as_ref()
            .and_then(|arn| file.tls.certificates.get(arn))
        else {
            continue;
        };
        let files = files.clone();
        file.domains.push(DomainSection {
            domain_name: d.name.clone(),
            certificate: loaded.base.join(&files.certificate),
            private_key: loaded.base.join(&files.private_key),
            chain: files.chain.as_ref().map(|c| loaded.base.join(c)),
            security_policy: None,
            truststore: None,
            base_path_mappings: d
                .mappings
                .iter()
                .map(|(base, api, stage)| BasePathSection {
                    base_path: (base != "(none)").then(|| base.clone()),
                    api: api.clone(),
                    stage: stage.clone(),
                })
                .collect(),
        });
    }
    Ok(())
}

/// Domains of the template whose certificate the config does not map to
/// PEM files (`tls.certificates`): they are not served.
pub fn unserved_domains(t: &Translated, loaded: &Loaded) -> Vec<Finding> {
    t.domains
        .iter()
        .filter(|d| !d.certificate_arn.as_ref().is_some_and(|arn| loaded.file.tls.certificates.contains_key(arn)))
        .map(|d| Finding {
            logical_id: d.logical_id.clone(),
            kind: "AWS::ApiGateway::DomainName".into(),
            severity: Severity::Unsupported,
            message: format!(
                "{}: map its certificate ARN {} to PEM files under `tls.certificates` in the config to serve it",
                d.name,
                d.certificate_arn.as_deref().unwrap_or("(none)")
            ),
        })
        .collect()
}

fn stage(s: &TemplateStage) -> Result<StageSection> {
    apigw::names::stage_name(&s.name).map_err(|e| anyhow::anyhow!("stage {:?}: {e}", s.name))?;
    let throttle = |m: &apigw::model::MethodSetting| {
        (m.throttling_rate_limit.is_some() || m.throttling_burst_limit.is_some()).then(|| {
            ThrottleSection {
                rate: m.throttling_rate_limit.unwrap_or(10_000.0),
                burst: m.throttling_burst_limit.unwrap_or(5_000),
            }
        })
    };
    let all = s.method_settings.get("*/*");
    let cache = s.cache_cluster_enabled.then(|| StageCacheSection {
        enabled: true,
        ttl_seconds: all.and_then(|a| a.cache_ttl_in_seconds),
        require_authorization: None,
        unauthorized: None,
    });
    let methods = s
        .method_settings
        .iter()
        .filter(|(k, _)| *k != "*/*")
        .map(|(k, m)| {
            let cache = (m.caching_enabled.is_some() || m.cache_ttl_in_seconds.is_some())
                .then_some(MethodCacheSection {
                    enabled: m.caching_enabled,
                    ttl_seconds: m.cache_ttl_in_seconds,
                });
            (
                k.clone(),
                MethodSection {
                    throttle: throttle(m),
                    cache,
                },
            )
        })
        .collect();
    Ok(StageSection {
        name: s.name.clone(),
        description: s.description.clone(),
        variables: s.variables.clone(),
        throttle: all.and_then(throttle),
        cache,
        methods,
    })
}

/// The local command that runs a function of `runtime`.
fn function(f: &TemplateFunction, folder: &Path) -> Result<FunctionSection> {
    let dir = folder.join(&f.code_dir);
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    if !dir.is_dir() {
        bail!(
            "function {}: its code folder {} is not there",
            f.logical_id,
            dir.display()
        );
    }
    let env = |k: &str, default: &str| {
        std::env::var(k)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.into())
    };
    let handler = f.handler.clone().unwrap_or_default();
    let command = if f.runtime.starts_with("python") {
        vec![
            env("APIGW_PYTHON", "python3"),
            "-m".into(),
            "awslambdaric".into(),
            handler.clone(),
        ]
    } else if f.runtime.starts_with("nodejs") {
        vec![env("APIGW_NODE_RIC", "aws-lambda-ric"), handler.clone()]
    } else {
        vec![dir.join("bootstrap").display().to_string()]
    };
    Ok(FunctionSection {
        name: f.name.clone(),
        command: Some(command),
        handler: f.handler.clone(),
        cwd: Some(dir),
        env: f.environment.clone(),
        memory_mb: f.memory_mb,
        timeout_ms: f.timeout_s.saturating_mul(1000),
        max_concurrency: 10,
        min_warm: 0,
        init_timeout_ms: 10_000,
        region: None,
        remote: None,
    })
}

/// Logs what the template declared and what it could not serve.
pub fn log(t: &Translated, loaded: &Loaded) {
    for api in &t.apis {
        let stages: Vec<&str> = api.stages.iter().map(|s| s.name.as_str()).collect();
        tracing::info!(logical_id = %api.logical_id, api = %api.id, name = %api.name, stages = ?stages, "api from template");
    }
    for f in &t.functions {
        tracing::info!(logical_id = %f.logical_id, function = %f.name, runtime = %f.runtime, "function from template");
    }
    for k in &t.api_keys {
        tracing::info!(logical_id = %k.logical_id, name = %k.name, "api key from template (its value: `aws apigateway get-api-keys --include-values`)");
    }
    for f in t
        .findings
        .iter()
        .cloned()
        .chain(unserved_domains(t, loaded))
    {
        let message = f.to_string();
        match f.severity {
            Severity::Ignored => {
                tracing::info!(logical_id = %f.logical_id, kind = %f.kind, "{message}")
            }
            _ => tracing::warn!(logical_id = %f.logical_id, kind = %f.kind, "{message}"),
        }
    }
    for (name, value) in &t.outputs {
        tracing::info!(output = %name, value = %value, "template output");
    }
}

/// Prints what the template declared and what it could not serve (`check`).
pub fn print(t: &Translated, loaded: &Loaded) {
    for f in &t.functions {
        println!(
            "  function {} ({}): {} {}",
            f.name,
            f.logical_id,
            f.runtime,
            f.handler.as_deref().unwrap_or("")
        );
    }
    for k in &t.api_keys {
        println!("  api key {} ({})", k.name, k.logical_id);
    }
    for p in &t.usage_plans {
        println!(
            "  usage plan {} ({}): {} stage(s), {} key(s)",
            p.name,
            p.logical_id,
            p.stages.len(),
            p.keys.len()
        );
    }
    for f in t
        .findings
        .iter()
        .cloned()
        .chain(unserved_domains(t, loaded))
    {
        println!("  {f}");
    }
    for (name, value) in &t.outputs {
        println!("  output {name}: {value}");
    }
}
