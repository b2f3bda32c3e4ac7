//! `apigw check FILE`: validates a config file and the OpenAPI documents it
//! names (or one OpenAPI document), printing what is wrong with its line or
//! field path; or a SAM/CloudFormation template (`--template`), listing
//! what it declares and what apigw cannot serve, by logical id. Exit status
//! 1 when something would stop `apigw serve`.

use std::path::Path;

use anyhow::Result;
use apigw::import::{self, Finding, ImportOptions};
use apigw::model::{Deployment, RestApi};
use apigw::progress::Progress;

use crate::apply::import_section;
use crate::config::Loaded;

/// Runs the check; returns whether everything is valid.
pub fn run(path: Option<&Path>, template: &crate::template::TemplateArgs) -> Result<bool> {
    let Some(path) = path else {
        return check_template(None, template);
    };
    if template.template.is_some() {
        return check_template(Some(path), template);
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let is_document = import::parse_document(&text)
        .map(|doc| doc.get("openapi").is_some() || doc.get("swagger").is_some())
        .unwrap_or(false);
    if is_document {
        return Ok(check_document(path, &text));
    }
    let loaded = match Loaded::read(path) {
        Ok(l) => l,
        Err(e) => {
            println!("{}: {e:#}", path.display());
            return Ok(false);
        }
    };
    let ok = check_loaded(path, &loaded);
    println!(
        "{}: {} ({} API(s))",
        path.display(),
        if ok { "ok" } else { "invalid" },
        loaded.file.apis.len()
    );
    Ok(ok)
}

/// `apigw check [CONFIG] --template FILE`: the template translated (with
/// the config's settings, if given), its APIs imported, and what it
/// declares or cannot serve listed.
fn check_template(config: Option<&Path>, args: &crate::template::TemplateArgs) -> Result<bool> {
    let file = args.template.as_deref().unwrap_or(Path::new("template"));
    let mut loaded = match config.map(Loaded::read).transpose() {
        Ok(l) => l.unwrap_or_default(),
        Err(e) => {
            println!("{}: {e:#}", config.unwrap_or(file).display());
            return Ok(false);
        }
    };
    let translated = match crate::template::add_to(args, &mut loaded) {
        Ok(t) => t,
        Err(e) => {
            println!("{}: {e:#}", file.display());
            return Ok(false);
        }
    };
    let ok = check_loaded(file, &loaded);
    if let Some(t) = &translated {
        crate::template::print(t, &loaded);
    }
    println!(
        "{}: {} ({} API(s))",
        file.display(),
        if ok { "ok" } else { "invalid" },
        loaded.file.apis.len()
    );
    Ok(ok)
}

/// Imports every API of `loaded` and loads its users, printing each result.
fn check_loaded(path: &Path, loaded: &Loaded) -> bool {
    let mut ok = true;
    for section in &loaded.file.apis {
        let doc_path = loaded.document_path(section);
        let progress = Progress::spinner(format!("importing {}", doc_path.display()));
        let imported = import_section(
            loaded,
            section,
            loaded.file.limits.max_integration_timeout_ms,
        );
        drop(progress);
        match imported {
            Ok(imported) => {
                report_ok(&doc_path, &imported.api, &imported.warnings);
                report_undeclared_functions(loaded, &imported.api);
            }
            Err(e) => {
                ok = false;
                println!("{}: {e:#}", doc_path.display());
            }
        }
    }
    for (field, users) in [
        ("iam_users", &loaded.file.iam_users),
        ("admin_users", &loaded.file.admin_users),
    ] {
        // The grant without policies does not matter here: only parsing does.
        let grant = apigw::policy::Grant::InvokeOnly;
        if let Err(e) = crate::users::load(loaded, field, users, grant) {
            ok = false;
            println!("{}: {e:#}", path.display());
        }
    }
    ok
}

fn check_document(path: &Path, text: &str) -> bool {
    let options = ImportOptions {
        api_id: "check".into(),
        max_integration_timeout_ms: apigw::model::DEFAULT_INTEGRATION_TIMEOUT_MS,
    };
    let progress = Progress::spinner(format!("importing {}", path.display()));
    let imported = import::parse_document(text).and_then(|doc| import::import(&doc, &options));
    drop(progress);
    match imported {
        Ok(imported) => {
            report_ok(path, &imported.api, &imported.warnings);
            true
        }
        Err(e) => {
            println!("{}: {e}", path.display());
            false
        }
    }
}

fn report_ok(path: &Path, api: &RestApi, warnings: &[Finding]) {
    let methods = api.methods().count();
    println!(
        "{}: ok: API \"{}\" with {} resources and {} methods",
        path.display(),
        api.name,
        api.resources.len(),
        methods
    );
    for w in warnings {
        println!("  warning: {w}");
    }
    let probe = Deployment {
        id: "check".into(),
        rest_api_id: api.id.clone(),
        description: None,
        created_date: 0,
        api: api.clone(),
    };
    let (_, findings) = apigw::snapshot::compile(&probe);
    for f in findings {
        println!("  warning: {f} (this method will answer 500 until supported)");
    }
}

/// Lambda integrations naming a function the config does not declare (their
/// calls would answer 500).
fn report_undeclared_functions(loaded: &Loaded, api: &RestApi) {
    use apigw::model::IntegrationType;
    let declared: std::collections::BTreeSet<&str> = loaded
        .file
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    for (path, method) in api.methods() {
        let Some(integration) = &method.integration else {
            continue;
        };
        if !matches!(
            integration.kind,
            IntegrationType::Aws | IntegrationType::AwsProxy
        ) {
            continue;
        }
        let Some(uri) = integration.uri.as_deref() else {
            continue;
        };
        if uri.contains("${stageVariables.") {
            continue;
        }
        if let Some(name) = apigw::functions::function_name_from_uri(uri) {
            if !declared.contains(name) {
                println!(
                    "  warning: {} {path}: function `{name}` is not declared under `functions:` (calls will answer 500)",
                    method.http_method
                );
            }
        }
    }
}
