# A regional custom domain name (its ACM certificate ARN is made up) and
# base path mappings of two stages of one API onto it.

resource "aws_api_gateway_rest_api" "site" {
  name = "tf-domain-site"
  body = jsonencode({
    openapi = "3.0.1"
    info    = { title = "tf-domain-site", version = "1" }
    paths = {
      "/hello" = {
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

resource "aws_api_gateway_deployment" "site" {
  rest_api_id = aws_api_gateway_rest_api.site.id
  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.site.body)
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "v1" {
  rest_api_id   = aws_api_gateway_rest_api.site.id
  deployment_id = aws_api_gateway_deployment.site.id
  stage_name    = "v1"
}

resource "aws_api_gateway_stage" "v2" {
  rest_api_id   = aws_api_gateway_rest_api.site.id
  deployment_id = aws_api_gateway_deployment.site.id
  stage_name    = "v2"
}

resource "aws_api_gateway_domain_name" "api" {
  domain_name              = "api.tf-example.test"
  regional_certificate_arn = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000001"
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

# The API at the root of the domain, and under /v1 or /v2 (the update
# step moves the second mapping to the other stage).
resource "aws_api_gateway_base_path_mapping" "root" {
  api_id      = aws_api_gateway_rest_api.site.id
  stage_name  = aws_api_gateway_stage.v1.stage_name
  domain_name = aws_api_gateway_domain_name.api.domain_name
}

resource "aws_api_gateway_base_path_mapping" "versioned" {
  api_id      = aws_api_gateway_rest_api.site.id
  stage_name  = var.revision == 1 ? aws_api_gateway_stage.v1.stage_name : aws_api_gateway_stage.v2.stage_name
  domain_name = aws_api_gateway_domain_name.api.domain_name
  base_path   = "versioned"
}

output "regional_domain_name" {
  value = aws_api_gateway_domain_name.api.regional_domain_name
}
