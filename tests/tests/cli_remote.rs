//! `apigw diff`, `apply`, `deploy` and `rollback` against a running node,
//! as a user would run them: the binary, a config file, the admin
//! credentials in the environment.

use std::path::Path;
use std::process::Output;

use apigw_tests::node::{workspace_binary, TempDir};
use apigw_tests::{Client, Node};
use serde_json::{json, Value};

const KEY: &str = "AKIACLIREMOTE0000001";
const SECRET: &str = "cli-remote-secret-0123456789abcdefghijk";

fn document(version: &str) -> String {
    format!(
        r#"
openapi: "3.0.1"
info: {{title: shop, version: "1"}}
paths:
  /color:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"color": "$stageVariables.color", "v": "{version}"}}'
"#
    )
}

fn write_config(dir: &Path, version: &str, color: &str) {
    std::fs::write(dir.join("shop.yaml"), document(version)).expect("document");
    std::fs::write(
        dir.join("config.yaml"),
        format!(
            "apis:\n  - {{id: shop, openapi: shop.yaml, stages: [{{name: prod, variables: {{color: {color}}}}}]}}\n"
        ),
    )
    .expect("config");
}

fn apigw(node: &Node, secret: &str, args: &[&str]) -> Output {
    let binary = workspace_binary("apigw", "apigw").expect("apigw binary");
    std::process::Command::new(binary)
        .args(args)
        .args(["--admin", &format!("http://{}", node.admin)])
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", secret)
        .output()
        .expect("apigw runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn color(client: &Client, node: &Node) -> Value {
    let url = format!(
        "http://{}/restapis/shop/prod/_user_request_/color",
        node.data
    );
    client.get(&url).await.expect("reply").json()
}

#[tokio::test]
async fn a_config_is_diffed_applied_deployed_and_rolled_back() {
    // The node starts with no APIs: everything comes through its admin API.
    let node = Node::builder()
        .env("APIGW_ADMIN_ACCESS_KEY_ID", KEY)
        .env("APIGW_ADMIN_SECRET_ACCESS_KEY", SECRET)
        .start()
        .expect("node starts");
    let dir = TempDir::new("cli-remote").expect("dir");
    let config = dir.0.join("config.yaml");
    let config = config.to_str().expect("utf-8 path");
    let client = Client::new(false);

    write_config(&dir.0, "1", "blue");
    let diff = apigw(&node, SECRET, &["diff", config]);
    assert_eq!(diff.status.code(), Some(2), "{}", text(&diff));
    assert!(text(&diff).contains("+ API shop"), "{}", text(&diff));
    assert!(
        text(&diff).contains("stage prod: new stage; + variable color=blue"),
        "{}",
        text(&diff)
    );

    let apply = apigw(&node, SECRET, &["apply", config]);
    assert!(apply.status.success(), "{}", text(&apply));
    assert_eq!(
        color(&client, &node).await,
        json!({"color": "blue", "v": "1"})
    );
    let same = apigw(&node, SECRET, &["diff", config]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(
        text(&same).contains("definition unchanged"),
        "{}",
        text(&same)
    );

    // A new version and a new variable: shown, then applied.
    write_config(&dir.0, "2", "red");
    let diff = apigw(&node, SECRET, &["diff", config]);
    assert_eq!(diff.status.code(), Some(2), "{}", text(&diff));
    let shown = text(&diff);
    eprintln!("{shown}");
    assert!(
        shown.contains("~ method GET /color (integration responses)"),
        "{shown}"
    );
    assert!(shown.contains("~ variable color: blue -> red"), "{shown}");
    let apply = apigw(&node, SECRET, &["apply", config]);
    assert!(apply.status.success(), "{}", text(&apply));
    assert_eq!(
        color(&client, &node).await,
        json!({"color": "red", "v": "2"})
    );

    // Roll back to the first deployment (variables are the stage's own).
    let back = apigw(&node, SECRET, &["rollback", "shop", "prod"]);
    assert!(back.status.success(), "{}", text(&back));
    assert_eq!(
        color(&client, &node).await,
        json!({"color": "red", "v": "1"})
    );
    // Nothing older: a second rollback has nowhere to go.
    let again = apigw(&node, SECRET, &["rollback", "shop", "prod"]);
    assert!(!again.status.success(), "{}", text(&again));
    assert!(
        text(&again).contains("no earlier deployment"),
        "{}",
        text(&again)
    );

    // Deploy the working definition again, by the API's name.
    let deploy = apigw(&node, SECRET, &["deploy", "shop", "prod"]);
    assert!(deploy.status.success(), "{}", text(&deploy));
    assert_eq!(
        color(&client, &node).await,
        json!({"color": "red", "v": "2"})
    );

    // A wrong secret is refused by the node.
    let forged = apigw(&node, "not-the-secret", &["deploy", "shop", "prod"]);
    assert!(!forged.status.success());
    assert!(text(&forged).contains("403"), "{}", text(&forged));
    node.stop().expect("stops");
}
