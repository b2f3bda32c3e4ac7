# A model (JSON Schema), a request validator and a method that validates
# its body and parameters against them, and a gateway response.

resource "aws_api_gateway_rest_api" "orders" {
  name = "tf-models-orders"
}

resource "aws_api_gateway_model" "order" {
  rest_api_id  = aws_api_gateway_rest_api.orders.id
  name         = "Order"
  description  = "an order, revision ${var.revision}"
  content_type = "application/json"
  schema = jsonencode({
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "Order"
    type      = "object"
    required  = ["sku", "quantity"]
    properties = {
      sku      = { type = "string" }
      quantity = { type = "integer", minimum = 1 }
    }
  })
}

resource "aws_api_gateway_request_validator" "all" {
  rest_api_id                 = aws_api_gateway_rest_api.orders.id
  name                        = "body-and-params-${var.revision}"
  validate_request_body       = true
  validate_request_parameters = true
}

resource "aws_api_gateway_resource" "orders" {
  rest_api_id = aws_api_gateway_rest_api.orders.id
  parent_id   = aws_api_gateway_rest_api.orders.root_resource_id
  path_part   = "orders"
}

resource "aws_api_gateway_method" "create" {
  rest_api_id          = aws_api_gateway_rest_api.orders.id
  resource_id          = aws_api_gateway_resource.orders.id
  http_method          = "POST"
  authorization        = "NONE"
  request_validator_id = aws_api_gateway_request_validator.all.id
  request_models = {
    "application/json" = aws_api_gateway_model.order.name
  }
  request_parameters = {
    "method.request.header.X-Tenant" = true
  }
}

resource "aws_api_gateway_integration" "create" {
  rest_api_id       = aws_api_gateway_rest_api.orders.id
  resource_id       = aws_api_gateway_resource.orders.id
  http_method       = aws_api_gateway_method.create.http_method
  type              = "MOCK"
  request_templates = { "application/json" = "{\"statusCode\": 201}" }
}

resource "aws_api_gateway_gateway_response" "bad_body" {
  rest_api_id   = aws_api_gateway_rest_api.orders.id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "422"

  response_templates = {
    "application/json" = "{\"problem\": $context.error.messageString, \"revision\": ${var.revision}}"
  }

  response_parameters = {
    "gatewayresponse.header.X-Problem" = "'invalid body'"
  }
}
