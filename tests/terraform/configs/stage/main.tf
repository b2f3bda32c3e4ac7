# A deployment and a stage with a cache cluster, stage variables and method
# settings (throttling, caching) for every method and for one method.

resource "aws_api_gateway_rest_api" "cached" {
  name = "tf-stage-cached"
  body = jsonencode({
    openapi = "3.0.1"
    info    = { title = "tf-stage-cached", version = "1" }
    paths = {
      "/time" = {
        get = {
          "x-amazon-apigateway-integration" = {
            type             = "mock"
            requestTemplates = { "application/json" = "{\"statusCode\": 200}" }
            responses        = { default = { statusCode = "200" } }
          }
        }
      }
    }
  })
}

resource "aws_api_gateway_deployment" "cached" {
  rest_api_id = aws_api_gateway_rest_api.cached.id
  description = "deployment of the cached API"

  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.cached.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "live" {
  rest_api_id           = aws_api_gateway_rest_api.cached.id
  deployment_id         = aws_api_gateway_deployment.cached.id
  stage_name            = "live"
  description           = "live, revision ${var.revision}"
  cache_cluster_enabled = true
  cache_cluster_size    = "0.5"
  variables = {
    backend  = "http://127.0.0.1:9"
    revision = tostring(var.revision)
  }
  tags = {
    team = "platform"
  }
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.cached.id
  stage_name  = aws_api_gateway_stage.live.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = false
    throttling_rate_limit  = 100 * var.revision
    throttling_burst_limit = 50
  }
}

resource "aws_api_gateway_method_settings" "time" {
  rest_api_id = aws_api_gateway_rest_api.cached.id
  stage_name  = aws_api_gateway_stage.live.stage_name
  method_path = "time/GET"

  settings {
    caching_enabled      = true
    cache_ttl_in_seconds = 30 * var.revision
    cache_data_encrypted = false
  }
}
