"""test_apigateway_sqs: AWS integrations with SQS (`path/{account}/{queue}`,
a form body `Action=SendMessage&...` with the Content-Type mapped), the
messages read back from the queue.

SQS (and STS for the role) is a local moto server (harness/aws.py); the
queue lives in moto's account. `test_sqs_amz_json_protocol` (its template
dumps every `$context` member into the message) is not ported yet. Without
moto the cases are not applicable."""

import json
import time
from functools import partial

from harness import aws
from harness.case import case

MODULE = "test_apigateway_sqs"
port = partial(case, MODULE)
NOTE = "SQS is a local moto server"

if not aws.available():
    NOT_APPLICABLE_REASON = aws.UNAVAILABLE


def queue(t) -> tuple[str, str]:
    name = f"queue-{t.uid()}"
    return name, aws.client("sqs").create_queue(QueueName=name)["QueueUrl"]


def sqs_api(t, name: str, template: str, response_templates: dict | None, on_root: bool = False):
    """The tests' API: POST on `/sqs` (or the root) integrated with the
    queue's path, deployed to `testing`."""
    a = t.api(name=f"test-api-{t.uid()}", description="Test Integration with SQS")
    api = a["id"]
    resource = a["rootResourceId"] if on_root else t.resource(api, a["rootResourceId"], "sqs")
    ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
    t.do("put_method", authorizationType="NONE", **ids)
    t.do("put_integration", type="AWS", integrationHttpMethod="POST",
         uri=f"arn:aws:apigateway:{aws.REGION}:sqs:path/{aws.ACCOUNT}/{name}",
         credentials=aws.role_arn(f"sqs-{t.uid()}"),
         requestParameters={"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
         requestTemplates={"application/json": template}, passthroughBehavior="NEVER", **ids)
    t.do("put_method_response", statusCode="200", responseModels={"application/json": "Empty"}, **ids)
    extra = {"responseTemplates": response_templates} if response_templates is not None else {}
    t.do("put_integration_response", statusCode="200", **extra, **ids)
    dep = t.do("create_deployment", restApiId=api)["id"]
    t.do("create_stage", restApiId=api, stageName="testing", deploymentId=dep)
    return api, resource


def body_of(r):
    try:
        return r.json()
    except ValueError:
        return {"status": r.status_code, "text": r.text}


def collect(url: str, expected: int, attributes: bool = False) -> list:
    """Receives until `expected` messages came (10 s at most)."""
    sqs, got = aws.client("sqs"), []
    deadline = time.monotonic() + 10
    while len(got) < expected and time.monotonic() < deadline:
        extra = {"MessageAttributeNames": ["All"]} if attributes else {}
        got += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, **extra).get("Messages", [])
    return got


GREAT = {"application/json": '{"message": "great success!"}'}


@port("test_sqs_aws_integration", note=NOTE)
def sqs_aws_integration(t):
    name, url = queue(t)
    api, _ = sqs_api(t, name, "Action=SendMessage&MessageBody=$input.body", GREAT)
    t.match("sqs-aws-integration-with-payload", body_of(t.invoke("POST", api, "testing", "/sqs", json={"foo": "bar"})))
    t.match("sqs-aws-integration-without-payload", body_of(t.invoke("POST", api, "testing", "/sqs")))
    t.match("sqs-messages", [{k: m[k] for k in ("MessageId", "ReceiptHandle", "MD5OfBody", "Body")}
                             for m in collect(url, 2)])


@port("test_sqs_request_and_response_xml_templates_integration", note=NOTE)
def sqs_request_and_response_xml_templates(t):
    name, _ = queue(t)
    template = """
            #set($responseBody = $input.path('$.SendMessageResponse'))
            #set($requestId = $input.path('$.SendMessageResponse.ResponseMetadata.RequestId'))
            #set($messageId = $responseBody.SendMessageResult.MessageId)
            {
            "requestId": "$requestId",
            "messageId": "$messageId"
            }
            """
    api, _ = sqs_api(t, name, "Action=SendMessage&MessageBody=$input.body", {"application/json": template})
    t.match("sqs-json-response", body_of(t.invoke("POST", api, "testing", "/sqs", data="<xml>Hello World</xml>")))


def with_message_attribute(attribute: str):
    def run(t):
        name, url = queue(t)
        template = ("Action=SendMessage&MessageBody=$input.body&"
                    f"{attribute}.1.Name=user-agent&"
                    f"{attribute}.1.Value.DataType=String&"
                    f"{attribute}.1.Value.StringValue=$input.params('HeaderFoo')")
        api, _ = sqs_api(t, name, template, None, on_root=True)
        t.invoke("POST", api, "testing", "/", json={"foo": "bar"}, headers={"HeaderFoo": "BAR-Header"})
        messages = collect(url, 1, attributes=True)
        if messages:
            t.match("sqs-message-body", messages[0]["Body"])
            t.match("sqs-message-attributes", messages[0].get("MessageAttributes"))
    return run


for _attribute in ("MessageAttribute", "MessageAttributes"):
    port(f"test_sqs_aws_integration_with_message_attribute[{_attribute}]", note=NOTE)(
        with_message_attribute(_attribute))
