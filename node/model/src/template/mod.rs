//! SAM and CloudFormation templates, translated into what apigw serves:
//! OpenAPI documents with their stages, local functions, API keys, usage
//! plans and custom domains. Plain data and checks, no I/O: the caller
//! reads the template and hands in a [`Files`] for the documents a
//! template names by path (`DefinitionUri`, `BodyS3Location`,
//! `AWS::Include`).
//!
//! - [`load`]: YAML (short-form tags) or JSON text to the long form;
//! - [`parameters`]: defaults, `--parameter-overrides`, pseudo parameters;
//! - [`intrinsics`]: `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If`...;
//! - [`sam`]: `AWS::Serverless::Function` / `Api` and `Globals`, the
//!   implicit `ServerlessRestApi`;
//! - [`cfn`]: `AWS::ApiGateway::*` and `AWS::Lambda::Function`;
//! - [`openapi`]: the document pieces both build (integrations, CORS,
//!   authorizers, gateway responses); [`documents`]: files a template
//!   names; [`settings`]: property shapes both share.
//!
//! Resources apigw does not serve are never dropped silently: each is a
//! [`Finding`] with its logical id and type.

pub mod cfn;
pub mod documents;
pub mod intrinsics;
pub mod load;
pub mod openapi;
pub mod parameters;
pub mod sam;
pub mod settings;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use intrinsics::{Context, ResourceValues};

/// A template that cannot be served; the message names the place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// `at` is a path in the template (`Resources.Fn.Properties.Handler`).
    #[error("{at}: {message}")]
    At { at: String, message: String },
}

impl TemplateError {
    pub fn at(at: &str, message: impl Into<String>) -> TemplateError {
        TemplateError::At {
            at: at.to_string(),
            message: message.into(),
        }
    }
}

/// What the template is deployed with.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub region: String,
    pub account_id: String,
    pub stack_name: String,
    /// From `--parameter-overrides`.
    pub overrides: BTreeMap<String, String>,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            stack_name: "sam-app".into(),
            overrides: BTreeMap::new(),
        }
    }
}

/// Reads the files a template names, relative to the template's folder.
pub trait Files {
    /// The text of `path`, or why not.
    fn read(&self, path: &str) -> Result<String, String>;
}

/// Everything a template declares that apigw serves, and what it does not.
#[derive(Debug, Clone, Default)]
pub struct Translated {
    pub apis: Vec<TemplateApi>,
    pub functions: Vec<TemplateFunction>,
    pub api_keys: Vec<TemplateApiKey>,
    pub usage_plans: Vec<TemplatePlan>,
    pub domains: Vec<TemplateDomain>,
    /// The template's `Outputs`, resolved (name, value).
    pub outputs: Vec<(String, String)>,
    pub findings: Vec<Finding>,
}

/// A REST API: its OpenAPI document and its stages.
#[derive(Debug, Clone)]
pub struct TemplateApi {
    pub logical_id: String,
    pub id: String,
    pub name: String,
    pub document: Value,
    pub stages: Vec<TemplateStage>,
}

/// A stage: variables, settings per method key (`*/*`, `/pets/GET`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateStage {
    pub name: String,
    pub description: Option<String>,
    pub variables: BTreeMap<String, String>,
    pub cache_cluster_enabled: bool,
    pub method_settings: BTreeMap<String, crate::MethodSetting>,
}

/// A function run locally from its code folder.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFunction {
    pub logical_id: String,
    /// The name integration URIs carry (`FunctionName`, else the logical id).
    pub name: String,
    /// The code folder, relative to the template's.
    pub code_dir: String,
    pub handler: Option<String>,
    pub runtime: String,
    pub environment: BTreeMap<String, String>,
    pub timeout_s: u64,
    pub memory_mb: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateApiKey {
    pub logical_id: String,
    pub name: String,
    pub value: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplatePlan {
    pub logical_id: String,
    pub name: String,
    /// (rate per second, burst).
    pub throttle: Option<(f64, u32)>,
    /// (limit, DAY|WEEK|MONTH, offset).
    pub quota: Option<(u64, String, u32)>,
    /// (api id, stage).
    pub stages: Vec<(String, String)>,
    /// Names of [`TemplateApiKey`]s.
    pub keys: Vec<String>,
}

/// A custom domain: the certificate ARN the config must map to PEM files.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateDomain {
    pub logical_id: String,
    pub name: String,
    pub certificate_arn: Option<String>,
    /// (base path or `(none)`, api id, stage).
    pub mappings: Vec<(String, String, Option<String>)>,
}

/// A resource or value the translation did not serve, or served with a caveat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub logical_id: String,
    pub kind: String,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// apigw cannot serve it: whatever depends on it will not work.
    Unsupported,
    /// It has no effect locally (IAM roles, Lambda permissions).
    Ignored,
    /// Served, with a difference worth knowing.
    Warning,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.severity {
            Severity::Unsupported => "not served",
            Severity::Ignored => "ignored",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{} ({}): {what}: {}",
            self.logical_id, self.kind, self.message
        )
    }
}

/// The translation in progress: the template, its resolver, the output.
pub struct Translator<'a> {
    pub template: &'a Map<String, Value>,
    pub ctx: Context,
    pub inputs: &'a Inputs,
    pub files: &'a dyn Files,
    pub out: Translated,
    /// Resources whose `Condition` is false.
    pub skipped: Vec<String>,
}

/// Parses and translates a template.
pub fn translate(
    text: &str,
    inputs: &Inputs,
    files: &dyn Files,
) -> Result<Translated, TemplateError> {
    let doc = load::parse(text)?;
    let template = doc.as_object().expect("load::parse checks for a mapping");
    let mut t = Translator::new(template, inputs, files)?;
    t.run()?;
    Ok(t.out)
}

impl<'a> Translator<'a> {
    fn new(
        template: &'a Map<String, Value>,
        inputs: &'a Inputs,
        files: &'a dyn Files,
    ) -> Result<Translator<'a>, TemplateError> {
        check_transform(template)?;
        let object = |key: &str| template.get(key).and_then(Value::as_object);
        let mut ctx = Context {
            parameters: parameters::values(object("Parameters"), inputs)?,
            condition_defs: object("Conditions").cloned().unwrap_or_default(),
            mappings: object("Mappings").cloned().unwrap_or_default(),
            region: inputs.region.clone(),
            ..Context::default()
        };
        let resources = object("Resources")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                TemplateError::at("Resources", "a template declares at least one resource")
            })?;
        let mut skipped = Vec::new();
        for (id, resource) in resources {
            let at = format!("Resources.{id}");
            if !resource.is_object() || resource.get("Type").and_then(Value::as_str).is_none() {
                return Err(TemplateError::at(
                    &at,
                    "a resource is a mapping with a Type",
                ));
            }
            if let Some(cond) = resource.get("Condition").and_then(Value::as_str) {
                if !ctx.condition(cond, &format!("{at}.Condition"))? {
                    skipped.push(id.clone());
                }
            }
        }
        let mut t = Translator {
            template,
            ctx: Context::default(),
            inputs,
            files,
            out: Translated::default(),
            skipped,
        };
        ctx.resources = t.resource_values(resources, &ctx);
        t.ctx = ctx;
        Ok(t)
    }

    /// The resources of the template, with their logical ids and types
    /// (those whose condition is false left out).
    pub fn resources(&self) -> Vec<(&'a str, &'a str, &'a Value)> {
        let resources = self.template.get("Resources").and_then(Value::as_object);
        resources
            .into_iter()
            .flatten()
            .filter(|(id, _)| !self.skipped.contains(id))
            .map(|(id, r)| {
                let kind = r.get("Type").and_then(Value::as_str).unwrap_or_default();
                (id.as_str(), kind, r)
            })
            .collect()
    }

    /// The API id a REST API's logical id gets (stable across restarts).
    pub fn api_id(&self, logical_id: &str) -> String {
        crate::ids::api_id_for_name(&format!("{}:{logical_id}", self.inputs.stack_name))
    }

    /// What `Ref` and `Fn::GetAtt` give for each resource.
    fn resource_values(
        &self,
        resources: &Map<String, Value>,
        ctx: &Context,
    ) -> BTreeMap<String, ResourceValues> {
        let mut out = BTreeMap::new();
        let needs_implicit_api = resources.values().any(sam::has_implicit_api_event);
        if needs_implicit_api && !resources.contains_key(sam::IMPLICIT_API) {
            out.insert(
                sam::IMPLICIT_API.to_string(),
                self.api_values(sam::IMPLICIT_API),
            );
        }
        for (id, resource) in resources {
            let kind = resource
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let values = match kind {
                "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                    let name = function_name(id, resource, ctx);
                    let arn = format!(
                        "arn:aws:lambda:{}:{}:function:{name}",
                        self.inputs.region, self.inputs.account_id
                    );
                    ResourceValues {
                        reference: Value::String(name),
                        attributes: [("Arn".to_string(), Value::String(arn))].into(),
                    }
                }
                "AWS::Serverless::Api" | "AWS::ApiGateway::RestApi" => self.api_values(id),
                "AWS::IAM::Role" => ResourceValues {
                    reference: Value::String(id.clone()),
                    attributes: [(
                        "Arn".to_string(),
                        Value::String(format!("arn:aws:iam::{}:role/{id}", self.inputs.account_id)),
                    )]
                    .into(),
                },
                "AWS::ApiGateway::Stage" => ResourceValues {
                    reference: resource
                        .pointer("/Properties/StageName")
                        .and_then(|v| ctx.resolve(v, id).ok())
                        .unwrap_or_else(|| Value::String(id.clone())),
                    ..ResourceValues::default()
                },
                "AWS::ApiGateway::DomainName" => ResourceValues {
                    reference: resource
                        .pointer("/Properties/DomainName")
                        .and_then(|v| ctx.resolve(v, id).ok())
                        .unwrap_or_else(|| Value::String(id.clone())),
                    ..ResourceValues::default()
                },
                k if k.starts_with("AWS::ApiGateway::") => ResourceValues {
                    reference: Value::String(format!("{}{id}", cfn::TOKEN)),
                    ..ResourceValues::default()
                },
                _ => ResourceValues {
                    reference: Value::String(id.clone()),
                    ..ResourceValues::default()
                },
            };
            out.insert(id.clone(), values);
        }
        // The role SAM generates for a function without one (`{Function}Role`).
        for (id, resource) in resources {
            let sam_function =
                resource.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function");
            let role = format!("{id}Role");
            if sam_function
                && resource.pointer("/Properties/Role").is_none()
                && !out.contains_key(&role)
            {
                let arn = format!("arn:aws:iam::{}:role/{role}", self.inputs.account_id);
                out.insert(
                    role.clone(),
                    ResourceValues {
                        reference: Value::String(role),
                        attributes: [("Arn".to_string(), Value::String(arn))].into(),
                    },
                );
            }
        }
        out
    }

    fn api_values(&self, id: &str) -> ResourceValues {
        ResourceValues {
            reference: Value::String(self.api_id(id)),
            attributes: [(
                "RootResourceId".to_string(),
                Value::String(format!("{}{id}", cfn::ROOT_TOKEN)),
            )]
            .into(),
        }
    }

    /// Records a finding.
    pub fn finding(
        &mut self,
        id: &str,
        kind: &str,
        severity: Severity,
        message: impl Into<String>,
    ) {
        self.out.findings.push(Finding {
            logical_id: id.to_string(),
            kind: kind.to_string(),
            severity,
            message: message.into(),
        });
    }

    /// A resource's `Properties`, intrinsics resolved.
    pub fn properties(
        &self,
        id: &str,
        resource: &Value,
    ) -> Result<Map<String, Value>, TemplateError> {
        let at = format!("Resources.{id}.Properties");
        match resource.get("Properties") {
            None => Ok(Map::new()),
            Some(p) => match self.ctx.resolve(p, &at)? {
                Value::Object(m) => Ok(m),
                _ => Err(TemplateError::at(&at, "Properties is a mapping")),
            },
        }
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        let mut served = std::collections::BTreeSet::new();
        sam::translate(self, &mut served)?;
        cfn::translate(self, &mut served)?;
        for (id, kind, _) in self.resources() {
            if served.contains(id) {
                continue;
            }
            match kind {
                "AWS::IAM::Role"
                | "AWS::IAM::Policy"
                | "AWS::IAM::ManagedPolicy"
                | "AWS::Lambda::Permission"
                | "AWS::Logs::LogGroup"
                | "AWS::ApiGateway::Account"
                | "AWS::CDK::Metadata" => self.finding(
                    id,
                    kind,
                    Severity::Ignored,
                    "no effect on a local gateway (its APIs may call its functions)",
                ),
                _ => self.finding(
                    id,
                    kind,
                    Severity::Unsupported,
                    "apigw does not serve this resource type",
                ),
            }
        }
        for id in self.skipped.clone() {
            let kind = self.template["Resources"][&id]["Type"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            self.finding(&id, &kind, Severity::Ignored, "its Condition is false");
        }
        for placeholder in self.ctx.placeholders.borrow().iter() {
            let (id, _) = placeholder.split_once('.').unwrap_or((placeholder, ""));
            let kind = self.template["Resources"][id]["Type"]
                .as_str()
                .unwrap_or_default();
            self.out.findings.push(Finding {
                logical_id: id.to_string(),
                kind: kind.to_string(),
                severity: Severity::Warning,
                message: format!("Fn::GetAtt {placeholder} has no local value: the text `{placeholder}` stands in"),
            });
        }
        self.outputs();
        Ok(())
    }

    fn outputs(&mut self) {
        let Some(outputs) = self.template.get("Outputs").and_then(Value::as_object) else {
            return;
        };
        for (name, output) in outputs {
            let at = format!("Outputs.{name}.Value");
            match output.get("Value").map(|v| self.ctx.resolve(v, &at)) {
                Some(Ok(v)) => {
                    let text = intrinsics::scalar_text(&v).unwrap_or_else(|| v.to_string());
                    self.out.outputs.push((name.clone(), text));
                }
                Some(Err(e)) => self.finding(name, "Output", Severity::Warning, e.to_string()),
                None => {}
            }
        }
    }
}

/// A function's name: its `FunctionName` when that resolves to a string,
/// else its logical id.
fn function_name(id: &str, resource: &Value, ctx: &Context) -> String {
    resource
        .pointer("/Properties/FunctionName")
        .and_then(|v| ctx.resolve(v, id).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| id.to_string())
}

/// Only the SAM transform is understood (`Transform: AWS::Serverless-2016-10-31`).
fn check_transform(template: &Map<String, Value>) -> Result<(), TemplateError> {
    let names: Vec<&str> = match template.get("Transform") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        Some(_) => return Err(TemplateError::at("Transform", "a name or a list of names")),
    };
    for name in names {
        if name != "AWS::Serverless-2016-10-31" && name != "AWS::LanguageExtensions" {
            return Err(TemplateError::at(
                "Transform",
                format!(
                    "the transform `{name}` is not supported (only AWS::Serverless-2016-10-31)"
                ),
            ));
        }
    }
    Ok(())
}

/// A number from a resolved value: CloudFormation passes numbers as
/// strings through `Ref`.
pub fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A resolved map of strings (environment variables, stage variables).
pub fn string_map(
    value: Option<&Value>,
    at: &str,
) -> Result<BTreeMap<String, String>, TemplateError> {
    let mut out = BTreeMap::new();
    let Some(value) = value else { return Ok(out) };
    let map = value
        .as_object()
        .ok_or_else(|| TemplateError::at(at, "expected a mapping of names to strings"))?;
    for (k, v) in map {
        let text = intrinsics::scalar_text(v)
            .ok_or_else(|| TemplateError::at(&format!("{at}.{k}"), "expected a string"))?;
        out.insert(k.clone(), text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
