//! What the import targets share: import a parsed document and, when it
//! imports, compile it as a deployment (templates, models, routes).

use apigw::import::{self, ImportOptions};
use apigw::model::Deployment;

/// Imports `doc` and compiles what it imports to; never panics.
pub fn import_and_compile(doc: &serde_json::Value) {
    let options = ImportOptions {
        api_id: "fuzz".into(),
        max_integration_timeout_ms: 29_000,
    };
    let Ok(imported) = import::import(doc, &options) else {
        return;
    };
    let deployment = Deployment {
        id: "d1".into(),
        rest_api_id: "fuzz".into(),
        description: None,
        created_date: 0,
        api: imported.api,
    };
    let _ = apigw::snapshot::compile(&deployment);
}
