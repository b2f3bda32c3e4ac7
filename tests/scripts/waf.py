"""Drives apigw's wafv2 API with boto3's own wafv2 client, as AWS users do.

usage: waf.py ENDPOINT KEY SECRET REGION API_ID STAGE WEB_ACL_JSON

Creates an IP set, associates the pasted web ACL (its IP set reference
pointed at the new set) with the stage, then tries what must be refused.
Prints one JSON object of what each call answered."""

import json
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, key, secret, region, api_id, stage, acl_path = sys.argv[1:8]
waf = boto3.client(
    "wafv2",
    endpoint_url=endpoint,
    region_name=region,
    aws_access_key_id=key,
    aws_secret_access_key=secret,
)
out = {}


def refused(call, **kwargs):
    try:
        call(**kwargs)
        return ["no error", 200]
    except ClientError as e:
        return [e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                e.response["Error"].get("Message", "")]


ip_set = waf.create_ip_set(
    Name="blocked-net", Scope="REGIONAL", IPAddressVersion="IPV4",
    Addresses=["203.0.113.0/24"], Description="documentation network")["Summary"]
out["ip_set_arn"] = ip_set["ARN"]

pasted = json.load(open(acl_path))
text = json.dumps(pasted).replace("IPSET_ARN", ip_set["ARN"])
acl = json.loads(text)
created = waf.create_web_acl(Scope="REGIONAL", **acl)["Summary"]
out["acl_arn"] = created["ARN"]
got = waf.get_web_acl(Name=created["Name"], Scope="REGIONAL", Id=created["Id"])
out["capacity"] = got["WebACL"]["Capacity"]
out["rule_names"] = [r["Name"] for r in got["WebACL"]["Rules"]]
out["listed"] = [a["Name"] for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"]]

stage_arn = f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"
waf.associate_web_acl(WebACLArn=created["ARN"], ResourceArn=stage_arn)
out["for_resource"] = waf.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]["ARN"]

# A stale LockToken: the first update succeeds, the second (same token) fails.
token = got["LockToken"]
update = {k: got["WebACL"][k] for k in ("DefaultAction", "Rules", "VisibilityConfig",
                                        "CustomResponseBodies") if k in got["WebACL"]}
next_token = waf.update_web_acl(Name=created["Name"], Scope="REGIONAL", Id=created["Id"],
                                LockToken=token, **update)["NextLockToken"]
out["next_token_differs"] = next_token != token
out["stale_update"] = refused(waf.update_web_acl, Name=created["Name"], Scope="REGIONAL",
                              Id=created["Id"], LockToken=token, **update)
out["stale_delete_ip_set"] = refused(
    waf.delete_ip_set, Name="blocked-net", Scope="REGIONAL", Id=ip_set["Id"], LockToken="stale")

# Bad input, refused at create time with the engine's reason.
out["lookaround"] = refused(
    waf.create_regex_pattern_set, Name="bad-regex", Scope="REGIONAL",
    RegularExpressionList=[{"RegexString": "(?<=admin)secret"}])
dup = dict(acl, Name="dup-priorities")
dup["Rules"] = [dict(r, Priority=1) for r in acl["Rules"][:2]]
out["duplicate_priorities"] = refused(waf.create_web_acl, Scope="REGIONAL", **dup)
unknown = dict(acl, Name="unknown-group", Rules=[{
    "Name": "nope", "Priority": 0, "OverrideAction": {"None": {}},
    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesNoSuchSet"}},
    "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False,
                         "MetricName": "nope"}}])
out["unknown_managed_group"] = refused(waf.create_web_acl, Scope="REGIONAL", **unknown)
out["duplicate_name"] = refused(waf.create_web_acl, Scope="REGIONAL", **acl)
out["cloudfront_scope"] = refused(waf.list_web_acls, Scope="CLOUDFRONT")
out["delete_associated"] = refused(
    waf.delete_web_acl, Name=created["Name"], Scope="REGIONAL", Id=created["Id"],
    LockToken=next_token)
print(json.dumps(out))
