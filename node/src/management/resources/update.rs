//! `UpdateResource`: renaming a resource (`/pathPart`) and moving it under
//! another parent (`/parentId`), with everything below it. A resource
//! keeps its id when it moves (AWS's ids do not depend on the path), so
//! the new paths are recorded in [`RestApi::resource_ids`]; AWS's checks
//! and messages come in AWS's order.

use std::collections::BTreeMap;

use http::StatusCode;

use super::super::patch::{segments, PatchOp};
use super::super::{bad_request, err, not_found, ApiError};
use crate::model::RestApi;

/// Where a resource is to go: its parent's path and its own path part.
struct Place {
    parent: String,
    part: String,
}

/// Applies `ops` to the resource at `path`; returns its new path.
pub(super) fn update(api: &mut RestApi, path: &str, ops: &[PatchOp]) -> Result<String, ApiError> {
    let (parent, part) = split(path);
    let mut place = Place {
        parent: parent.to_string(),
        part: part.to_string(),
    };
    for op in ops {
        apply(api, path, &mut place, op)?;
    }
    let new_path = join(&place.parent, &place.part);
    if new_path != path {
        if api.resources.contains_key(&new_path) {
            return Err(err(
                StatusCode::CONFLICT,
                "ConflictException",
                format!(
                    "Another resource with the same parent already has this name: {}",
                    place.part
                ),
            ));
        }
        super::check_path_part(&place.part)?;
        rekey(api, path, &new_path);
    }
    Ok(new_path)
}

/// One operation: `replace` of `/pathPart` or `/parentId` only.
fn apply(api: &RestApi, path: &str, place: &mut Place, op: &PatchOp) -> Result<(), ApiError> {
    let parts = segments(&op.path);
    let field = match parts.as_slice() {
        [f] if f == "pathPart" || f == "parentId" => f.as_str(),
        _ if op.op == "replace" => {
            return Err(bad_request(format!(
                "Invalid patch path  '{}' specified for op 'replace'. Must be one of: [/parentId, /pathPart]",
                op.path
            )))
        }
        _ => return Err(op.not_supported()),
    };
    if op.op != "replace" {
        return Err(op.not_supported());
    }
    if path == "/" {
        return Err(bad_request(format!(
            "Root resource cannot update its {field}."
        )));
    }
    let value = op.value()?;
    match field {
        "pathPart" => place.part = value.to_string(),
        _ => {
            let parent = api
                .resources
                .keys()
                .find(|p| api.resource_id(p) == value)
                .ok_or_else(|| not_found("Invalid Resource identifier specified"))?;
            if parent == path || parent.starts_with(&format!("{path}/")) {
                return Err(bad_request("Resources cannot be cyclical."));
            }
            place.parent = parent.clone();
        }
    }
    Ok(())
}

/// Moves the resource at `from` and everything below it to `to`, each
/// keeping its id.
fn rekey(api: &mut RestApi, from: &str, to: &str) {
    let below = format!("{from}/");
    let moved: Vec<String> = api
        .resources
        .keys()
        .filter(|p| *p == from || p.starts_with(&below))
        .cloned()
        .collect();
    let mut ids = BTreeMap::new();
    for old in moved {
        let new = format!("{to}{}", &old[from.len()..]);
        ids.insert(new.clone(), api.resource_id(&old));
        api.resource_ids.remove(&old);
        if let Some(mut resource) = api.resources.remove(&old) {
            resource.path = new.clone();
            api.resources.insert(new, resource);
        }
    }
    for (path, id) in ids {
        if id != crate::ids::resource_id(&api.id, &path) {
            api.resource_ids.insert(path, id);
        }
    }
}

/// A non-root path's parent path and last part.
fn split(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some(("", part)) => ("/", part),
        Some((parent, part)) => (parent, part),
        None => ("/", path),
    }
}

/// The path of `part` below `parent`.
pub(super) fn join(parent: &str, part: &str) -> String {
    match parent {
        "/" => format!("/{part}"),
        _ => format!("{parent}/{part}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;

    fn api(paths: &[&str]) -> RestApi {
        let mut api =
            crate::import::test_api(r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}"#);
        for p in paths {
            api.resources.insert(
                p.to_string(),
                Resource {
                    path: p.to_string(),
                    methods: Default::default(),
                },
            );
        }
        api
    }

    fn replace(path: &str, value: &str) -> PatchOp {
        PatchOp {
            op: "replace".into(),
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }

    #[test]
    fn a_moved_subtree_keeps_its_ids() {
        let mut api = api(&["/", "/pets", "/pets/sub", "/pets/sub/x"]);
        let (sub, x) = (api.resource_id("/pets/sub"), api.resource_id("/pets/sub/x"));
        let root = api.resource_id("/");
        let new = update(&mut api, "/pets/sub", &[replace("/parentId", &root)]).expect("moved");
        assert_eq!(new, "/sub");
        assert_eq!(api.resource_id("/sub"), sub);
        assert_eq!(api.resource_id("/sub/x"), x);
        assert!(!api.resources.contains_key("/pets/sub"));
        let renamed = update(&mut api, "/sub", &[replace("/pathPart", "dogs")]).expect("renamed");
        assert_eq!((renamed.as_str(), api.resource_id("/dogs")), ("/dogs", sub));
    }

    #[test]
    fn cycles_conflicts_and_the_root_are_refused() {
        let mut api = api(&["/", "/pets", "/pets/sub", "/other"]);
        let sub = api.resource_id("/pets/sub");
        let e = update(&mut api, "/pets", &[replace("/parentId", &sub)]).expect_err("cycle");
        assert_eq!(e.message, "Resources cannot be cyclical.");
        let e = update(&mut api, "/other", &[replace("/pathPart", "pets")]).expect_err("taken");
        assert_eq!(e.kind, "ConflictException");
        let e = update(&mut api, "/", &[replace("/pathPart", "x")]).expect_err("root");
        assert_eq!(e.message, "Root resource cannot update its pathPart.");
    }
}
