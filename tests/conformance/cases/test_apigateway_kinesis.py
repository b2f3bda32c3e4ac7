"""test_apigateway_kinesis: AWS integrations with Kinesis' PutRecord and
PutRecords, the records read back from the stream's shard.

Kinesis (and STS for the role) is a local moto server (harness/aws.py).
The PutRecords template and request body are ours: the recorded test's
are not in the snapshot; they put the three records it shows. A record's
`EncryptionType` (absent from the recording; the test skipped it) is left
out. Without moto
the cases are not applicable."""

import json
from functools import partial

from harness import aws
from harness.case import case

MODULE = "test_apigateway_kinesis"
port = partial(case, MODULE)
NOTE = "Kinesis is a local moto server"

if not aws.available():
    NOT_APPLICABLE_REASON = aws.UNAVAILABLE


def templates(stream: str) -> dict:
    return {
        "PutRecord": json.dumps({"StreamName": stream, "Data": "$util.base64Encode($input.body)",
                                 "PartitionKey": "test"}),
        "PutRecords": '{"StreamName": "%s", "Records": [#foreach($r in $input.path(\'$.records\'))'
                      '{"Data": "$util.base64Encode($r.data)", "PartitionKey": "$r.partitionKey"}'
                      '#if($foreach.hasNext),#end#end]}' % stream,
    }


BODIES = {
    "PutRecord": {"kinesis": "snapshot"},
    "PutRecords": {"records": [{"data": json.dumps({"foo": f"bar{i}"}), "partitionKey": "20"}
                               for i in (1, 2, 3)]},
}


def put(action: str):
    def run(t):
        t.snap.replace_values({"ApproximateArrivalTimestamp": "timestamp"})
        kinesis = aws.client("kinesis")
        stream = f"kinesis-stream-{t.uid()}"
        kinesis.create_stream(StreamName=stream, ShardCount=1)
        shard = kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"][0]["ShardId"]
        a = t.api(name=f"test-apigw-{t.uid()}", endpointConfiguration={"types": ["REGIONAL"]})
        api = a["id"]
        resource = t.resource(api, a["rootResourceId"], "test")
        ids = {"restApiId": api, "resourceId": resource, "httpMethod": "POST"}
        t.do("put_method", authorizationType="NONE", **ids)
        t.do("put_integration", integrationHttpMethod="POST", type="AWS",
             uri=f"arn:aws:apigateway:{aws.REGION}:kinesis:action/{action}",
             credentials=aws.role_arn(f"kinesis-{t.uid()}"),
             requestTemplates={"application/json": templates(stream)[action]}, **ids)
        t.do("put_method_response", statusCode="200", **ids)
        t.do("put_integration_response", statusCode="200", **ids)
        t.do("create_deployment", restApiId=api, stageName="test")
        iterator = kinesis.get_shard_iterator(StreamName=stream, ShardIteratorType="LATEST",
                                              ShardId=shard)["ShardIterator"]
        r = t.invoke("POST", api, "test", "/test", json=BODIES[action])
        try:
            content = r.json()
        except ValueError:
            content = {"status": r.status_code, "text": r.text}
        t.match("apigateway_response", content)
        records = kinesis.get_records(ShardIterator=iterator)
        for record in records.get("Records", []):
            record["Data"] = str(record["Data"])
            record.pop("EncryptionType", None)
        t.match("kinesis_records", records)
    return run


for _action in ("PutRecord", "PutRecords"):
    port(f"test_apigateway_to_kinesis[{_action}]", note=NOTE)(put(_action))
