"""Creates the pasted web ACL with boto3's wafv2 client and associates it
with a stage.

usage: waf_associate.py ENDPOINT KEY SECRET REGION API_ID STAGE WEB_ACL_JSON
Prints {"arn": ..., "capacity": ...}."""

import json
import sys

import boto3

endpoint, key, secret, region, api_id, stage, acl_path = sys.argv[1:8]
waf = boto3.client("wafv2", endpoint_url=endpoint, region_name=region,
                   aws_access_key_id=key, aws_secret_access_key=secret)
acl = json.load(open(acl_path))
summary = waf.create_web_acl(Scope="REGIONAL", **acl)["Summary"]
got = waf.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])
waf.associate_web_acl(
    WebACLArn=summary["ARN"],
    ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}")
print(json.dumps({"arn": summary["ARN"], "capacity": got["WebACL"]["Capacity"]}))
