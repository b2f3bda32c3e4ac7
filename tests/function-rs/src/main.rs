//! A Lambda function written against the official Rust runtime client
//! (`lambda_runtime`), unmodified: the function tests run it as a local
//! function to show that apigw's Runtime API serves real runtimes.
//!
//! It answers an AWS_PROXY event with what it saw, and fails on request
//! (body `fail`) so the error path is exercised too.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, context) = event.into_parts();
    if payload["body"] == "fail" {
        return Err("asked to fail".into());
    }
    println!("rust handler saw {}", payload["path"]);
    let body = json!({
        "runtime": "rust",
        "requestId": context.request_id,
        "function": context.env_config.function_name,
        "path": payload["path"],
        "pid": std::process::id(),
    });
    Ok(json!({"statusCode": 200, "body": body.to_string()}))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handle)).await
}
