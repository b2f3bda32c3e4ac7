# Authorizers: a TOKEN and a REQUEST Lambda authorizer (the function ARN is
# made up: nothing calls it here) and a COGNITO_USER_POOLS one, each used by
# a method.

locals {
  function_arn = "arn:aws:lambda:us-east-1:000000000000:function:tf-authorizer"
  invoke_uri   = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${local.function_arn}/invocations"
}

resource "aws_api_gateway_rest_api" "guarded" {
  name = "tf-authorizers"
}

resource "aws_api_gateway_authorizer" "token" {
  name                             = "tf-token"
  rest_api_id                      = aws_api_gateway_rest_api.guarded.id
  type                             = "TOKEN"
  authorizer_uri                   = local.invoke_uri
  identity_source                  = "method.request.header.Authorization"
  identity_validation_expression   = "^Bearer [-0-9a-zA-Z._]*$"
  authorizer_result_ttl_in_seconds = 300 / var.revision
}

resource "aws_api_gateway_authorizer" "request" {
  name                             = "tf-request"
  rest_api_id                      = aws_api_gateway_rest_api.guarded.id
  type                             = "REQUEST"
  authorizer_uri                   = local.invoke_uri
  identity_source                  = "method.request.header.X-User,method.request.querystring.tenant"
  authorizer_result_ttl_in_seconds = 0
}

resource "aws_api_gateway_authorizer" "cognito" {
  name            = "tf-cognito"
  rest_api_id     = aws_api_gateway_rest_api.guarded.id
  type            = "COGNITO_USER_POOLS"
  provider_arns   = ["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_tfexample"]
  identity_source = "method.request.header.Authorization"
}

resource "aws_api_gateway_resource" "token" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  parent_id   = aws_api_gateway_rest_api.guarded.root_resource_id
  path_part   = "token"
}

resource "aws_api_gateway_resource" "request" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  parent_id   = aws_api_gateway_rest_api.guarded.root_resource_id
  path_part   = "request"
}

resource "aws_api_gateway_resource" "cognito" {
  rest_api_id = aws_api_gateway_rest_api.guarded.id
  parent_id   = aws_api_gateway_rest_api.guarded.root_resource_id
  path_part   = "cognito"
}

resource "aws_api_gateway_method" "token" {
  rest_api_id   = aws_api_gateway_rest_api.guarded.id
  resource_id   = aws_api_gateway_resource.token.id
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = aws_api_gateway_authorizer.token.id
}

resource "aws_api_gateway_method" "request" {
  rest_api_id   = aws_api_gateway_rest_api.guarded.id
  resource_id   = aws_api_gateway_resource.request.id
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = aws_api_gateway_authorizer.request.id
}

resource "aws_api_gateway_method" "cognito" {
  rest_api_id          = aws_api_gateway_rest_api.guarded.id
  resource_id          = aws_api_gateway_resource.cognito.id
  http_method          = "GET"
  authorization        = "COGNITO_USER_POOLS"
  authorizer_id        = aws_api_gateway_authorizer.cognito.id
  authorization_scopes = var.revision == 1 ? ["shop/read"] : ["shop/read", "shop/write"]
}

resource "aws_api_gateway_integration" "token" {
  rest_api_id       = aws_api_gateway_rest_api.guarded.id
  resource_id       = aws_api_gateway_resource.token.id
  http_method       = aws_api_gateway_method.token.http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_integration" "request" {
  rest_api_id       = aws_api_gateway_rest_api.guarded.id
  resource_id       = aws_api_gateway_resource.request.id
  http_method       = aws_api_gateway_method.request.http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}

resource "aws_api_gateway_integration" "cognito" {
  rest_api_id       = aws_api_gateway_rest_api.guarded.id
  resource_id       = aws_api_gateway_resource.cognito.id
  http_method       = aws_api_gateway_method.cognito.http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 200}" }
}
