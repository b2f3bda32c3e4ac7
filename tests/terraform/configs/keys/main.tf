# An API key, a usage plan over a stage (throttle, quota, a per-method
# throttle) and the key in the plan.

resource "aws_api_gateway_rest_api" "metered" {
  name = "tf-keys-metered"
  body = jsonencode({
    openapi = "3.0.1"
    info    = { title = "tf-keys-metered", version = "1" }
    components = {
      securitySchemes = {
        api_key = { type = "apiKey", name = "x-api-key", in = "header" }
      }
    }
    paths = {
      "/data" = {
        get = {
          security = [{ api_key = [] }]
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

resource "aws_api_gateway_deployment" "metered" {
  rest_api_id = aws_api_gateway_rest_api.metered.id
  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.metered.body)
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "v1" {
  rest_api_id   = aws_api_gateway_rest_api.metered.id
  deployment_id = aws_api_gateway_deployment.metered.id
  stage_name    = "v1"
}

resource "aws_api_gateway_api_key" "partner" {
  name        = "tf-partner"
  description = "partner key, revision ${var.revision}"
  enabled     = true
}

resource "aws_api_gateway_usage_plan" "partners" {
  name        = "tf-partners"
  description = "partners, revision ${var.revision}"

  api_stages {
    api_id = aws_api_gateway_rest_api.metered.id
    stage  = aws_api_gateway_stage.v1.stage_name

    throttle {
      path        = "/data/GET"
      rate_limit  = 5
      burst_limit = 10
    }
  }

  quota_settings {
    limit  = 1000 * var.revision
    offset = 0
    period = "DAY"
  }

  throttle_settings {
    burst_limit = 20
    rate_limit  = 10 * var.revision
  }
}

resource "aws_api_gateway_usage_plan_key" "partner" {
  key_id        = aws_api_gateway_api_key.partner.id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.partners.id
}

output "api_key" {
  value     = aws_api_gateway_api_key.partner.value
  sensitive = true
}
