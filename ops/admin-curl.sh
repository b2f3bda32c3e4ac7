#!/usr/bin/env bash
# curl for an apigw admin listener: every route but /health and /ready needs
# a SigV4 signature with the admin credentials (service `apigateway`, the
# node's region), which curl makes itself (--aws-sigv4, curl 7.75 or later).
#
#   APIGW_ADMIN_ACCESS_KEY_ID=... APIGW_ADMIN_SECRET_ACCESS_KEY=... \
#   APIGW_REGION=us-east-1 ops/admin-curl.sh [CURL OPTIONS] URL
#
# e.g. ops/admin-curl.sh -s http://127.0.0.1:9090/cluster
#      ops/admin-curl.sh -X DELETE http://127.0.0.1:9090/cluster/members/3
# Without the variables it reads `admin-credentials.json` from
# APIGW_DATA_DIR (default ./apigw-data), the file a node writes on its first
# start. Prometheus can scrape /metrics with a bearer token instead
# (`admin.metrics_token` in the config).
set -euo pipefail

key=${APIGW_ADMIN_ACCESS_KEY_ID:-}
secret=${APIGW_ADMIN_SECRET_ACCESS_KEY:-}
if [ -z "$key" ] || [ -z "$secret" ]; then
  file=${APIGW_DATA_DIR:-./apigw-data}/admin-credentials.json
  [ -r "$file" ] || { echo "no admin credentials: set APIGW_ADMIN_ACCESS_KEY_ID and APIGW_ADMIN_SECRET_ACCESS_KEY, or APIGW_DATA_DIR" >&2; exit 2; }
  read -r key secret < <(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["access_key_id"], c["secret_access_key"])' "$file")
fi
exec curl --aws-sigv4 "aws:amz:${APIGW_REGION:-us-east-1}:apigateway" --user "$key:$secret" "$@"
