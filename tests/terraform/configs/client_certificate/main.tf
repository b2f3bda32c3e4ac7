# A client certificate (description changed by the update step, tags) and a
# stage that presents it to its HTTP_PROXY backend; the integration accepts
# a self-signed backend certificate (tlsConfig).

resource "aws_api_gateway_client_certificate" "backend" {
  description = "backend mTLS, revision ${var.revision}"
  tags = {
    team = "edge"
  }
}

resource "aws_api_gateway_rest_api" "mtls" {
  name = "tf-client-certificate"
  body = jsonencode({
    openapi = "3.0.1"
    info    = { title = "tf-client-certificate", version = "1" }
    paths = {
      "/{proxy+}" = {
        x-amazon-apigateway-any-method = {
          parameters = [{ name = "proxy", in = "path", required = true, schema = { type = "string" } }]
          "x-amazon-apigateway-integration" = {
            type              = "http_proxy"
            httpMethod        = "ANY"
            uri               = "https://127.0.0.1:9/{proxy}"
            requestParameters = { "integration.request.path.proxy" = "method.request.path.proxy" }
            tlsConfig         = { insecureSkipVerification = true }
          }
        }
      }
    }
  })
}

resource "aws_api_gateway_deployment" "mtls" {
  rest_api_id = aws_api_gateway_rest_api.mtls.id

  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.mtls.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_stage" "live" {
  rest_api_id           = aws_api_gateway_rest_api.mtls.id
  deployment_id         = aws_api_gateway_deployment.mtls.id
  stage_name            = "live"
  client_certificate_id = aws_api_gateway_client_certificate.backend.id
}

output "certificate_pem" {
  value = aws_api_gateway_client_certificate.backend.pem_encoded_certificate
}
