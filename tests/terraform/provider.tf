# The provider block every configuration here uses: hashicorp/aws 5.x
# pointed at an apigw node's management API. run.py copies this file next
# to each configuration's own files and sets the variables below.
#
# Provider settings with apigw (hashicorp/aws 5.100.0, checked):
#  - endpoints.apigateway: the node's admin listener. Required.
#  - skip_credentials_validation: required; without it the provider calls
#    STS GetCallerIdentity (sts.{region}.amazonaws.com) before anything.
#  - skip_requesting_account_id: required; without it the provider asks
#    IAM GetUser / STS for the account id. With it, ARNs the provider builds
#    (execution_arn) have an empty account field.
#  - skip_metadata_api_check: not needed with static keys (plans without
#    it); kept so the provider never probes the EC2 metadata service.
#  - skip_region_validation: needed only when `region` is not an AWS region
#    name (a node's `node.region` such as "eu-west": "invalid AWS Region").
#  - skip_get_ec2_platforms and s3_force_path_style (4.x settings) are
#    rejected by 5.x: "Unsupported argument".

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

variable "endpoint" {
  description = "The apigw admin listener, e.g. http://127.0.0.1:9090"
  type        = string
}

variable "access_key" {
  type = string
}

variable "secret_key" {
  type      = string
  sensitive = true
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "revision" {
  description = "1 on the first apply, 2 on the update step: configurations change a description, variable or throttle with it"
  type        = number
  default     = 1
}

provider "aws" {
  region     = var.region
  access_key = var.access_key
  secret_key = var.secret_key

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {
    apigateway = var.endpoint
  }
}
