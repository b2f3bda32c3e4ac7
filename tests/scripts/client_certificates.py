"""Drives the client certificate operations with boto3 against a real node,
then builds the APIs the Rust test calls: HTTP_PROXY methods toward the
test's TLS backend (which demands a client certificate), on a stage that
presents a generated certificate (`prod`), one that presents none
(`bare`), and one whose integration does not accept the backend's
self-signed certificate (`strict`, on another API). Prints one JSON object
with what it saw; the Rust test asserts on it.

    client_certificates.py ADMIN_URL ACCESS_KEY SECRET_KEY BACKEND_URL
"""

import json
import sys

import boto3
import botocore.exceptions

admin, key, secret, backend = sys.argv[1:5]
client = boto3.client("apigateway", endpoint_url=admin, region_name="us-east-1",
                      aws_access_key_id=key, aws_secret_access_key=secret)
seen = {}


def error_of(call, **kwargs):
    try:
        call(**kwargs)
        return None
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        return [err["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"], err["Message"]]


def plain(r):
    """The answer without ResponseMetadata, dates as epoch seconds."""
    out = {}
    for k, v in r.items():
        if k == "ResponseMetadata":
            continue
        out[k] = v.timestamp() if hasattr(v, "timestamp") else v
    return out


def proxy_api(name, insecure):
    api = client.create_rest_api(name=name)["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    client.put_method(restApiId=api, resourceId=root, httpMethod="GET",
                      authorizationType="NONE")
    extra = {"tlsConfig": {"insecureSkipVerification": True}} if insecure else {}
    client.put_integration(restApiId=api, resourceId=root, httpMethod="GET",
                           type="HTTP_PROXY", integrationHttpMethod="GET",
                           uri=backend + "/", **extra)
    return api, root


def use_cert(api, stage, cert):
    client.update_stage(restApiId=api, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": cert}])


def main():
    made = client.generate_client_certificate(description="to the backend",
                                              tags={"team": "edge"})
    seen["generated"] = plain(made)
    cert = made["clientCertificateId"]
    seen["got"] = plain(client.get_client_certificate(clientCertificateId=cert))
    others = [client.generate_client_certificate()["clientCertificateId"] for _ in range(2)]
    first = client.get_client_certificates(limit=2)
    rest = client.get_client_certificates(limit=2, position=first["position"])
    seen["pages"] = [[c["clientCertificateId"] for c in first["items"]],
                     [c["clientCertificateId"] for c in rest["items"]],
                     "position" in rest]
    seen["updated"] = plain(client.update_client_certificate(
        clientCertificateId=cert,
        patchOperations=[{"op": "replace", "path": "/description", "value": "renamed"}]))
    seen["bad_path"] = error_of(
        client.update_client_certificate, clientCertificateId=cert,
        patchOperations=[{"op": "replace", "path": "/pemEncodedCertificate", "value": "x"}])
    arn = f"arn:aws:apigateway:us-east-1::/clientcertificates/{cert}"
    client.tag_resource(resourceArn=arn, tags={"tier": "gold"})
    seen["tags"] = client.get_tags(resourceArn=arn)["tags"]
    client.delete_client_certificate(clientCertificateId=others[0])
    seen["deleted"] = error_of(client.get_client_certificate, clientCertificateId=others[0])
    seen["left"] = sorted(c["clientCertificateId"]
                          for c in client.get_client_certificates()["items"])
    seen["ids"] = sorted([cert, others[1]])

    api, _ = proxy_api("mtls", insecure=True)
    dep = client.create_deployment(restApiId=api)["id"]
    client.create_stage(restApiId=api, stageName="prod", deploymentId=dep)
    use_cert(api, "prod", cert)
    client.create_stage(restApiId=api, stageName="bare", deploymentId=dep)
    seen["stage_unknown_cert"] = error_of(
        client.update_stage, restApiId=api, stageName="bare",
        patchOperations=[{"op": "replace", "path": "/clientCertificateId", "value": "nope"}])
    seen["stage"] = plain(client.get_stage(restApiId=api, stageName="prod"))
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    seen["integration_tls"] = client.get_integration(
        restApiId=api, resourceId=root, httpMethod="GET").get("tlsConfig")
    strict, _ = proxy_api("strict", insecure=False)
    dep = client.create_deployment(restApiId=strict)["id"]
    client.create_stage(restApiId=strict, stageName="strict", deploymentId=dep)
    use_cert(strict, "strict", cert)
    seen["api"] = api
    seen["strict_api"] = strict
    print(json.dumps(seen))


main()
