//! A store that fails loudly, driven through the real binary: a store file
//! that is there and cannot be read stops `apigw serve` (and fails `apigw
//! store check`) with the file named and no panic, whatever its bytes;
//! `--init-store` or an absent file starts empty; backups taken online and
//! offline restore exactly what was served.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use apigw_tests::node::{apigw_binary, run_apigw, TempDir};
use apigw_tests::{Client, Node};
use redb::{TableDefinition, TableHandle};
use serde_json::Value;

const KEY: &str = "AKIASTORETEST0000001";
const SECRET: &str = "store-test-secret-0123456789abcdefghijk";

const API: &str = r#"
openapi: "3.0.1"
info: {title: shop, version: "1"}
paths:
  /color:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"color": "$stageVariables.color"}'
"#;

const CONFIG: &str = r#"
api_keys:
  - {name: alice, value: alice-key-0123456789abcdef}
usage_plans:
  - {name: basic, throttle: {rate: 100, burst: 200}, stages: [{api: shop, stage: prod}], keys: [alice]}
apis:
  - {id: shop, openapi: shop.yaml, stages: [{name: prod, variables: {color: red}}, {name: beta, variables: {color: teal}}]}
"#;

const STAGES: TableDefinition<&str, &[u8]> = TableDefinition::new("stages");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");

/// `apigw serve` on `data_dir` (plus `extra`), expected to stop by itself:
/// its exit status and stderr. Killed, and the test failed, if it serves.
fn serve_expecting_exit(data_dir: &Path, extra: &[&str]) -> (ExitStatus, String) {
    let child = Command::new(apigw_binary().expect("binary"))
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
        .args(extra)
        .env_remove("APIGW_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => {
            let out = out.expect("output");
            (
                out.status,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!(
                "apigw serve started on the store in {} it should have refused",
                data_dir.display()
            );
        }
    }
}

fn store_check(data_dir: &Path) -> (ExitStatus, String) {
    let dir = data_dir.display().to_string();
    let (status, out, err) = run_apigw(&["store", "check", "--data-dir", &dir]).expect("runs");
    (status, format!("{out}{err}"))
}

/// Asserts a refusal: non-zero, the file named, no panic.
fn assert_refused(case: &str, status: ExitStatus, text: &str, file: &Path) {
    assert!(!status.success(), "{case}: exit 0\n{text}");
    assert!(
        text.contains(&file.display().to_string()),
        "{case}: the file is not named\n{text}"
    );
    assert!(!text.contains("panicked at"), "{case}: a panic\n{text}");
}

/// A node's data dir with the config's API, keys and plan, stopped.
fn base_store() -> (TempDir, Vec<u8>) {
    let dir = Arc::new(TempDir::new("store-base").expect("dir"));
    let node = Node::builder()
        .file("shop.yaml", API)
        .config(CONFIG)
        .start_in(dir.clone())
        .expect("node starts");
    stop(node);
    let bytes = std::fs::read(dir.0.join("data/apigw.redb")).expect("store file");
    let dir = Arc::try_unwrap(dir).unwrap_or_else(|_| panic!("dir still shared"));
    (dir, bytes)
}

/// Stops a node once it is ready (its signal handler is set up just after
/// it logs `ready`), expecting a clean exit.
fn stop(node: Node) {
    node.wait_for_log(|v| v["message"] == "ready")
        .expect("ready");
    assert!(node.stop().expect("stops").success());
}

/// Writes `bytes` as the store of a new data dir; the dir and the file.
fn data_dir_with(case: &str, bytes: &[u8]) -> (TempDir, PathBuf) {
    let dir = TempDir::new(&format!("store-{}", case.replace(' ', "-"))).expect("dir");
    std::fs::create_dir_all(dir.0.join("data")).expect("data dir");
    let file = dir.0.join("data/apigw.redb");
    std::fs::write(&file, bytes).expect("write");
    (dir, file)
}

/// `bytes` with `f` applied to them through redb (a well-formed file
/// whose records are wrong).
fn edited(bytes: &[u8], f: impl FnOnce(&redb::WriteTransaction)) -> Vec<u8> {
    let (_dir, file) = data_dir_with("edit", bytes);
    {
        let db = redb::Database::create(&file).expect("open copy");
        let txn = db.begin_write().expect("write");
        f(&txn);
        txn.commit().expect("commit");
    }
    std::fs::read(&file).expect("read back")
}

/// Every 4 KiB page from `from` to `to` (byte offsets) with one byte flipped.
fn flip_every_page(bytes: &[u8], from: usize, to: usize, at: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let mut page = from / 4096 * 4096;
    while page < to.min(b.len()) {
        if let Some(byte) = b.get_mut(page + at) {
            *byte ^= 0x5a;
        }
        page += 4096;
    }
    b
}

#[tokio::test]
async fn an_empty_store_file_stops_the_start_until_init_store_is_given() {
    let dir = Arc::new(TempDir::new("store-empty").expect("dir"));
    std::fs::create_dir_all(dir.0.join("data")).expect("data dir");
    let file = dir.0.join("data/apigw.redb");
    std::fs::write(&file, b"").expect("0-byte file");
    let (status, stderr) = serve_expecting_exit(&dir.0.join("data"), &[]);
    assert_refused("0 bytes", status, &stderr, &file);
    assert!(stderr.contains("--init-store"), "says what to do\n{stderr}");
    assert!(stderr.contains("apigw store restore"), "{stderr}");
    assert_eq!(std::fs::metadata(&file).expect("still there").len(), 0);
    let (status, text) = store_check(&dir.0.join("data"));
    assert_refused("check of 0 bytes", status, &text, &file);

    // --init-store sets the file aside and starts empty.
    let node = Node::builder()
        .arg("--init-store")
        .start_in(dir.clone())
        .expect("starts with --init-store");
    let aside: Vec<String> = std::fs::read_dir(dir.0.join("data"))
        .expect("list")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("apigw.redb.unreadable-"))
        .collect();
    assert_eq!(aside.len(), 1, "the empty file is kept aside");
    assert_eq!(ready_stages(&node).await, 0);

    // An absent file is simply a new store.
    let fresh = TempDir::new("store-absent").expect("dir");
    let node = Node::builder()
        .start_in(Arc::new(fresh))
        .expect("starts without a store file");
    assert_eq!(ready_stages(&node).await, 0);
}

/// How many stages a node serves (`/ready`).
async fn ready_stages(node: &Node) -> u64 {
    let ready = Client::default()
        .get(&format!("http://{}/ready", node.admin))
        .await
        .expect("ready")
        .json();
    ready["stages"].as_u64().expect("stages")
}

#[test]
fn damaged_stores_are_refused_by_serve_and_check_naming_the_file_never_panicking() {
    let (_base, good) = base_store();
    let len = good.len();
    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [1, 64, 511, 4096, len / 3, len / 2, len - 4096, len - 1] {
        cases.push((format!("truncated at {cut}"), good[..cut].to_vec()));
    }
    for (from, to) in [
        (0, 4096),
        (4096, 8192),
        (len / 2, len / 2 + 8192),
        (4096, len),
    ] {
        let mut b = good.clone();
        b[from..to].fill(0);
        cases.push((format!("zeroed {from}..{to}"), b));
    }
    let mut header = good.clone();
    header[0] ^= 0xff;
    cases.push(("flipped magic byte".into(), header));
    let mut version = good.clone();
    version[64] ^= 0xff;
    cases.push(("flipped header byte 64".into(), version));
    cases.push((
        "flipped bytes in the middle pages".into(),
        flip_every_page(&good, 4096, len / 2, 100),
    ));
    cases.push((
        "flipped bytes in the last half".into(),
        flip_every_page(&good, len / 2, len, 100),
    ));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    cases.push(("random bytes".into(), random.clone()));
    let mut random_after_header = good[..4096].to_vec();
    random_after_header.extend_from_slice(&random[4096..]);
    cases.push((
        "a valid header, then random bytes".into(),
        random_after_header,
    ));
    cases.push((
        "schema version 99".into(),
        edited(&good, |txn| {
            txn.open_table(META)
                .expect("meta")
                .insert("schema_version", 99)
                .expect("insert");
        }),
    ));
    cases.push((
        "a stage that is not JSON".into(),
        edited(&good, |txn| {
            txn.open_table(STAGES)
                .expect("stages")
                .insert("shop/prod", b"\x00\x01 not json".as_slice())
                .expect("insert");
        }),
    ));
    cases.push((
        "a stage holding JSON of another shape".into(),
        edited(&good, |txn| {
            txn.open_table(STAGES)
                .expect("stages")
                .insert(
                    "shop/prod",
                    br#"{"restApiId": 7, "variables": []}"#.as_slice(),
                )
                .expect("insert");
        }),
    ));
    cases.push((
        "a table of the wrong type".into(),
        edited(&good, |txn| {
            let stages: TableDefinition<u64, u64> = TableDefinition::new(STAGES.name());
            txn.delete_table(STAGES).expect("delete");
            txn.open_table(stages)
                .expect("typed")
                .insert(1, 2)
                .expect("insert");
        }),
    ));
    for (case, bytes) in &cases {
        let (dir, file) = data_dir_with(case, bytes);
        let (status, stderr) = serve_expecting_exit(&dir.0.join("data"), &[]);
        assert_refused(&format!("serve, {case}"), status, &stderr, &file);
        let (status, text) = store_check(&dir.0.join("data"));
        assert_refused(&format!("check, {case}"), status, &text, &file);
    }
}

#[test]
fn check_passes_a_sound_store_and_names_a_dangling_stage() {
    let (base, good) = base_store();
    let (status, text) = store_check(&base.0.join("data"));
    assert!(status.success(), "{text}");
    assert!(text.contains("APIs 1, deployments 2, stages 2"), "{text}");
    let stage = {
        let (_dir, file) = data_dir_with("read", &good);
        let db = redb::Database::create(&file).expect("open");
        let txn = redb::ReadableDatabase::begin_read(&db).expect("read");
        let table = txn.open_table(STAGES).expect("stages");
        let value = redb::ReadableTable::get(&table, "shop/prod")
            .expect("get")
            .expect("stage");
        let mut stage: Value = serde_json::from_slice(value.value()).expect("json");
        stage["stageName"] = "gamma".into();
        stage["deploymentId"] = "nosuchdeployment".into();
        serde_json::to_vec(&stage).expect("encode")
    };
    let dangling = edited(&good, |txn| {
        txn.open_table(STAGES)
            .expect("stages")
            .insert("shop/gamma", stage.as_slice())
            .expect("insert");
    });
    let (dir, _file) = data_dir_with("dangling", &dangling);
    let (status, text) = store_check(&dir.0.join("data"));
    assert!(!status.success(), "{text}");
    assert!(
        text.contains(
            "stages `shop/gamma`: points at deployment `nosuchdeployment`, which is not there"
        ),
        "{text}"
    );
}

#[test]
fn a_damaged_raft_state_stops_a_cluster_member_until_init_store() {
    let (_certs, certs) = apigw_tests::cluster::cluster_certs("1");
    let port = apigw_tests::cluster::free_udp_port();
    let config = format!(
        "cluster:\n  name: lab\n  node_id: 1\n  listen: 127.0.0.1:{port}\n  certs: '{certs}'\n  peers: []\n"
    );
    let dir = Arc::new(TempDir::new("store-raft").expect("dir"));
    let raft = dir.0.join("data/raft/raft.redb");
    std::fs::create_dir_all(raft.parent().expect("parent")).expect("raft dir");
    std::fs::write(&raft, b"").expect("0-byte raft state");
    std::fs::write(dir.0.join("config.yaml"), &config).expect("config");
    let config_path = dir.0.join("config.yaml").display().to_string();
    let (status, stderr) = serve_expecting_exit(&dir.0.join("data"), &["--config", &config_path]);
    assert_refused("raft.redb of 0 bytes", status, &stderr, &raft);
    assert!(stderr.contains("--init-store"), "{stderr}");
    let node = Node::builder()
        .config(&config)
        .arg("--init-store")
        .start_in(dir.clone())
        .expect("starts with --init-store");
    assert!(std::fs::metadata(&raft).expect("a new raft.redb").len() > 0);
    drop(node);
}

/// Runs the boto3 script in `mode` against `node`; its JSON for `state`.
fn boto3(node: &Node, mode: &str) -> Value {
    let script = format!("{}/scripts/store_roundtrip.py", env!("CARGO_MANIFEST_DIR"));
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let out = Command::new(python)
        .arg(script)
        .arg(format!("http://{}", node.admin))
        .arg(format!("http://{}", node.data))
        .args([KEY, SECRET, mode])
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{mode}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match mode {
        "state" => serde_json::from_str(stdout.trim()).expect("the script's JSON"),
        _ => Value::Null,
    }
}

/// `apigw store ARGS` with the admin credentials in the environment.
fn apigw_store(args: &[&str]) -> (ExitStatus, String) {
    let out = Command::new(apigw_binary().expect("binary"))
        .arg("store")
        .args(args)
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked at"), "{text}");
    (out.status, text)
}

fn start(dir: &Arc<TempDir>) -> Node {
    Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start_in(dir.clone())
        .expect("node starts")
}

async fn served_color(node: &Node, api: &str) -> Value {
    Client::default()
        .get(&node.invoke_url(api, "prod", "/color"))
        .await
        .expect("reply")
        .json()
}

#[tokio::test]
async fn backups_restore_what_was_served_online_and_offline() {
    let dir = Arc::new(TempDir::new("store-roundtrip").expect("dir"));
    let data = dir.0.join("data").display().to_string();
    let backup = dir.0.join("backup.json");
    let backup_path = backup.display().to_string();
    let node = start(&dir);
    let admin = format!("http://{}", node.admin);
    boto3(&node, "setup");
    let before = boto3(&node, "state");
    let shop = before["apis"]["shop"]["stages"]["prod"]["served"].clone();
    let shop_id = before["apis"]["shop"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(shop["body"]["color"], "red", "{before}");

    // The endpoint is signed like every management call.
    let unsigned = Client::default()
        .get(&format!("{admin}/store/backup"))
        .await
        .expect("reply");
    assert_eq!(unsigned.status.as_u16(), 403);
    assert!(
        !unsigned.text().contains("alice-key"),
        "{}",
        unsigned.text()
    );

    // Online: backup, change everything, restore.
    let (status, text) = apigw_store(&["backup", &backup_path, "--admin", &admin]);
    assert!(status.success(), "{text}");
    let file: Value =
        serde_json::from_slice(&std::fs::read(&backup).expect("backup")).expect("json");
    assert_eq!(file["format"], "apigw-store-backup");
    assert!(
        !file.to_string().contains(SECRET),
        "no admin credentials in a backup"
    );
    boto3(&node, "change");
    let changed = boto3(&node, "state");
    assert_ne!(changed, before);
    let (status, text) = apigw_store(&["restore", &backup_path, "--admin", &admin]);
    assert!(
        !status.success(),
        "a node with contents needs --force: {text}"
    );
    assert!(text.contains("force"), "{text}");
    let (status, text) = apigw_store(&["restore", &backup_path, "--admin", &admin, "--force"]);
    assert!(status.success(), "{text}");
    assert_eq!(boto3(&node, "state"), before, "online restore");

    // Offline: refused while the node runs; then backup, change, restore.
    let (status, text) = apigw_store(&["restore", &backup_path, "--data-dir", &data, "--force"]);
    assert!(!status.success(), "{text}");
    assert!(text.contains("running"), "{text}");
    stop(node);
    let offline = dir.0.join("offline.json");
    let offline_path = offline.display().to_string();
    let (status, text) = apigw_store(&["backup", &offline_path, "--data-dir", &data]);
    assert!(status.success(), "{text}");
    let offline_file: Value =
        serde_json::from_slice(&std::fs::read(&offline).expect("backup")).expect("json");
    assert_eq!(offline_file["contents"], file["contents"]);
    let node = start(&dir);
    boto3(&node, "change");
    assert_eq!(served_color(&node, &shop_id).await["color"], "blue");
    stop(node);
    let (status, text) = apigw_store(&["restore", &offline_path, "--data-dir", &data]);
    assert!(!status.success(), "{text}");
    assert!(text.contains("--force"), "{text}");
    let (status, text) = apigw_store(&["restore", &offline_path, "--data-dir", &data, "--force"]);
    assert!(status.success(), "{text}");
    let node = start(&dir);
    assert_eq!(boto3(&node, "state"), before, "offline restore");
    assert_eq!(served_color(&node, &shop_id).await, shop["body"]);
}

/// A cluster member's config: node `id` on `port`, its one peer on `peer_port`.
fn member_config(certs: &str, id: u64, port: u16, peer: u64, peer_port: u16) -> String {
    format!(
        "cluster:\n  name: lab\n  node_id: {id}\n  listen: 127.0.0.1:{port}\n  certs: '{certs}'\n  \
         gossip_interval_ms: 50\n  peers: [{{id: {peer}, addr: '127.0.0.1:{peer_port}'}}]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_restore_through_one_member_reaches_the_other_through_raft() {
    let (_certs, certs) = apigw_tests::cluster::cluster_certs("1,2");
    let (p1, p2) = (
        apigw_tests::cluster::free_udp_port(),
        apigw_tests::cluster::free_udp_port(),
    );
    let member = |id, port, peer, peer_port| {
        Node::builder()
            .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
            .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
            .config(&member_config(&certs, id, port, peer, peer_port))
            .start()
            .expect("member starts")
    };
    let one = member(1, p1, 2, p2);
    let two = member(2, p2, 1, p1);
    let client = Client::default();
    apigw_tests::cluster::wait_for_view(&one, "a leader", |v| v["raft"]["leader"].is_u64()).await;
    boto3(&one, "setup");
    apigw_tests::cluster::wait_for_stage_count(&client, &two, 1).await;
    let before = boto3(&one, "state");
    let dir = TempDir::new("store-cluster-backup").expect("dir");
    let backup = dir.0.join("backup.json").display().to_string();
    let (status, text) = apigw_store(&[
        "backup",
        &backup,
        "--admin",
        &format!("http://{}", one.admin),
    ]);
    assert!(status.success(), "{text}");
    boto3(&one, "change");
    assert_ne!(boto3(&one, "state"), before);
    // Restored through member two; member one gets it through the log.
    let (status, text) = apigw_store(&[
        "restore",
        &backup,
        "--admin",
        &format!("http://{}", two.admin),
        "--force",
    ]);
    assert!(status.success(), "{text}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = boto3(&one, "state");
        if now == before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "member one never got the restore: {now}\nwanted {before}"
        );
    }
    // Offline restore refuses a member's data dir: its store comes from Raft.
    let kept = two.dir.clone();
    let data = kept.0.join("data").display().to_string();
    drop(two);
    let (status, text) = apigw_store(&["restore", &backup, "--data-dir", &data, "--force"]);
    assert!(!status.success(), "{text}");
    assert!(text.contains("cluster member"), "{text}");
}
