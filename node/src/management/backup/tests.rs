//! A restore plan, applied command by command, gives back exactly the
//! backed-up contents, whatever happened since.

use std::collections::BTreeMap;
use std::sync::Arc;

use apigw_cluster::raft::Application;

use super::plan;
use crate::access::ApiKey;
use crate::control::ControlPlane;
use crate::snapshot::Deployed;
use crate::store::Store;

fn api(id: &str, name: &str) -> crate::model::RestApi {
    let mut api =
        crate::import::test_api(r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}"#);
    api.id = id.into();
    api.name = name.into();
    api
}

fn key(id: &str) -> ApiKey {
    ApiKey {
        id: id.into(),
        name: id.into(),
        value: format!("{id}-value-0123456789abcdef"),
        enabled: true,
        from_config: false,
        description: None,
        customer_id: None,
        created_date: 0,
        last_updated_date: 0,
        created_micros: 0,
    }
}

fn node(tag: &str) -> (Arc<Store>, ControlPlane, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("apigw-plan-{tag}-{}", crate::ids::new_api_id()));
    let store = Arc::new(Store::open(&dir).expect("store"));
    let control = ControlPlane::new(store.clone(), Arc::new(Deployed::default()));
    (store, control, dir)
}

fn apply_plan(store: &Store, control: &ControlPlane, target: &crate::store::StoreContents) {
    let current = store.export().expect("export");
    for command in plan(&current, target) {
        let outcome: Result<(), String> =
            serde_json::from_slice(&control.apply(&command.encode())).expect("outcome");
        outcome.unwrap_or_else(|e| panic!("{command:?}: {e}"));
    }
}

#[test]
fn a_plan_undoes_every_kind_of_change() {
    let (store, control, dir) = node("undo");
    let tags = BTreeMap::from([("team".to_string(), "pets".to_string())]);
    store.put_api(&api("aaa", "first")).expect("put");
    store.deploy("aaa", "prod", None).expect("deploy");
    store.deploy("aaa", "prod", None).expect("deploy again");
    store.put_api(&api("bbb", "gone later")).expect("put");
    store.put_api_key(&key("k1")).expect("key");
    store
        .put_tags("/restapis/aaa/stages/prod", &tags)
        .expect("tag");
    let backup = store.export().expect("export");
    // Everything changes: a renamed API, a redeployed stage (its history
    // grows), a new stage, a deleted API and key, a new API with tags.
    store.put_api(&api("aaa", "renamed")).expect("rename");
    store.deploy("aaa", "prod", None).expect("redeploy");
    store.deploy("aaa", "beta", None).expect("new stage");
    store.delete_api("bbb").expect("delete");
    store.delete_api_key("k1").expect("delete key");
    store.put_api(&api("ccc", "new")).expect("new");
    store.put_tags("/restapis/ccc", &tags).expect("tag new");
    assert_ne!(store.export().expect("export"), backup);
    apply_plan(&store, &control, &backup);
    assert_eq!(store.export().expect("export"), backup);
    // Nothing left to do the second time.
    assert!(plan(&store.export().expect("export"), &backup).is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_plan_fills_an_empty_node() {
    let (source, _, dir_a) = node("source");
    source.put_api(&api("aaa", "first")).expect("put");
    source.deploy("aaa", "prod", None).expect("deploy");
    source.deploy("aaa", "prod", None).expect("deploy again");
    source.put_api_key(&key("k1")).expect("key");
    let backup = source.export().expect("export");
    let (store, control, dir_b) = node("empty");
    apply_plan(&store, &control, &backup);
    assert_eq!(store.export().expect("export"), backup);
    std::fs::remove_dir_all(&dir_a).ok();
    std::fs::remove_dir_all(&dir_b).ok();
}
