//! The store refuses what it cannot read, and `check` finds what does not
//! fit together.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::backup::{Backup, BackupError};
use crate::check::check_dir;
use crate::{Store, StoreError, FILE, META, STAGES};
use apigw_cluster::redb_file::RedbFileError;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "apigw-store-check-{name}-{}",
        apigw_model::ids::new_api_id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn api(id: &str) -> apigw_model::RestApi {
    let mut api = apigw_model::import::test_api(
        r#"{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {}}"#,
    );
    api.id = id.into();
    api
}

/// A store with one API deployed to `prod`, closed.
fn deployed_store(dir: &std::path::Path) {
    let store = Store::open(dir).expect("open");
    store.put_api(&api("aaa")).expect("put");
    store.deploy("aaa", "prod", None).expect("deploy");
}

/// Writes raw bytes into a table of a closed store, as a bug or an editor might.
fn write_raw(dir: &std::path::Path, key: &str, value: &[u8]) {
    let db = redb::Database::create(dir.join(FILE)).expect("raw open");
    let txn = db.begin_write().expect("write");
    txn.open_table(STAGES)
        .expect("table")
        .insert(key, value)
        .expect("insert");
    txn.commit().expect("commit");
}

#[test]
fn an_empty_file_is_refused_and_left_alone() {
    let dir = temp_dir("empty");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join(FILE), b"").expect("write");
    match Store::open(&dir) {
        Err(StoreError::File(RedbFileError::Empty { path })) => {
            assert_eq!(path, dir.join(FILE))
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("an empty file opened as an empty store"),
    }
    assert_eq!(std::fs::metadata(dir.join(FILE)).expect("meta").len(), 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_record_that_does_not_decode_stops_the_open_naming_file_and_key() {
    let dir = temp_dir("badjson");
    deployed_store(&dir);
    write_raw(&dir, "aaa/test", br#"{"stageName": 42}"#);
    let message = match Store::open(&dir) {
        Err(e @ StoreError::File(_)) => e.to_string(),
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("opened a store with an undecodable record"),
    };
    assert!(message.contains(FILE), "{message}");
    assert!(message.contains("stages/aaa/test"), "{message}");
    let report = check_dir(&dir).expect("check runs");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].key, "aaa/test");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = temp_dir("schema");
    deployed_store(&dir);
    {
        let db = redb::Database::create(dir.join(FILE)).expect("raw open");
        let txn = db.begin_write().expect("write");
        txn.open_table(META)
            .expect("meta")
            .insert("schema_version", 99)
            .expect("insert");
        txn.commit().expect("commit");
    }
    assert!(matches!(
        Store::open(&dir),
        Err(StoreError::TooNew { found: 99, .. })
    ));
    assert!(matches!(
        check_dir(&dir),
        Err(StoreError::TooNew { found: 99, .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_finds_a_dangling_stage_and_passes_a_sound_store() {
    let dir = temp_dir("dangling");
    deployed_store(&dir);
    let sound = check_dir(&dir).expect("check");
    assert!(sound.problems.is_empty(), "{:?}", sound.problems);
    assert_eq!(sound.contents.stages.len(), 1);
    let mut stage = Store::open(&dir)
        .expect("open")
        .get_stage("aaa", "prod")
        .expect("get")
        .expect("stage");
    stage.stage_name = "beta".into();
    stage.deployment_id = "gone".into();
    stage.canary_settings = Some(apigw_model::CanarySettings {
        deployment_id: "lost".into(),
        ..Default::default()
    });
    write_raw(
        &dir,
        "aaa/beta",
        &serde_json::to_vec(&stage).expect("encode"),
    );
    let report = check_dir(&dir).expect("check");
    let messages: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        messages,
        [
            "stages `aaa/beta`: points at deployment `gone`, which is not there",
            "stages `aaa/beta`: has a canary on deployment `lost`, which is not there"
        ]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_running_store_is_not_checked_under_its_feet() {
    let dir = temp_dir("inuse");
    let _store = Store::open(&dir).expect("open");
    assert!(matches!(check_dir(&dir), Err(StoreError::InUse(_))));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn contents_round_trip_through_a_backup_and_replace_everything() {
    let dir = temp_dir("roundtrip");
    let store = Store::open(&dir).expect("open");
    store.put_api(&api("aaa")).expect("put");
    store.deploy("aaa", "prod", None).expect("deploy");
    let tags = BTreeMap::from([("team".to_string(), "pets".to_string())]);
    store.put_tags("/restapis/aaa", &tags).expect("tag");
    let before = store.export().expect("export");
    let backup = Backup::parse(&Backup::new(before.clone()).to_bytes()).expect("parse");
    assert_eq!(backup.contents, before);
    // Changes after the backup, tags included, are gone after the restore.
    store.put_api(&api("bbb")).expect("put");
    store.put_tags("/restapis/bbb", &tags).expect("tag");
    store.replace_all(&backup.contents).expect("restore");
    assert_eq!(store.export().expect("export"), before);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn backups_this_version_cannot_restore_faithfully_are_refused() {
    let newer = br#"{"format": "apigw-store-backup", "version": 2, "contents": {}}"#;
    assert!(matches!(
        Backup::parse(newer),
        Err(BackupError::TooNew { found: 2 })
    ));
    assert!(matches!(
        Backup::parse(br#"{"apis": []}"#),
        Err(BackupError::NotABackup(_))
    ));
    let mut contents = crate::StoreContents::default();
    contents
        .stages
        .push(apigw_model::Stage::new("aaa", "prod", "d1", 0));
    let text = Backup::new(contents).to_bytes();
    assert!(matches!(
        Backup::parse(&text),
        Err(BackupError::Inconsistent(p)) if p.len() == 2
    ));
}
