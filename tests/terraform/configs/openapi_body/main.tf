# A REST API imported from an OpenAPI document (`body`), deployed to a
# stage, the way the provider's docs recommend: the deployment is redeployed
# when the body changes.

locals {
  openapi = {
    openapi = "3.0.1"
    info    = { title = "tf-openapi-pets", version = "1" }
    paths = {
      "/pets" = {
        get = {
          responses = { "200" = { description = "the pets" } }
          "x-amazon-apigateway-integration" = {
            type             = "mock"
            requestTemplates = { "application/json" = "{\"statusCode\": 200}" }
            responses = {
              default = {
                statusCode        = "200"
                responseTemplates = { "application/json" = "{\"pets\": [], \"revision\": ${var.revision}}" }
              }
            }
          }
        }
      }
    }
  }
}

resource "aws_api_gateway_rest_api" "pets" {
  name        = "tf-openapi-pets"
  description = "pets, revision ${var.revision}"
  body        = jsonencode(local.openapi)

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_deployment" "pets" {
  rest_api_id = aws_api_gateway_rest_api.pets.id

  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.pets.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "prod" {
  rest_api_id   = aws_api_gateway_rest_api.pets.id
  deployment_id = aws_api_gateway_deployment.pets.id
  stage_name    = "prod"
  description   = "prod, revision ${var.revision}"
  variables = {
    revision = tostring(var.revision)
  }
}

output "invoke_url" {
  value = aws_api_gateway_stage.prod.invoke_url
}
