#!/usr/bin/env bash
# TLS on the data plane, apigw beside nginx with the same certificate
# (ECDSA P-256) and policy (TLS 1.2 + 1.3): full and resumed handshakes per
# second (ops/bench/tls_handshakes.py, Python's OpenSSL client) and HTTPS
# keep-alive throughput (h2load --h1, 64 connections, SNI by --connect-to).
# Each server gets one worker pinned to core 1; the clients run on core 0.
# apigw answers a MOCK method through a custom domain; nginx `return 200`
# with the same body. Figures are printed, nothing passes or fails on speed.
#
#   ops/bench/tls.sh [SECONDS]          # default 8 s per measurement
#
# Uses $APIGW_BIN, else target/release/apigw, else target/debug/apigw (a
# debug build: its figures are not comparable to nginx's; said so in the
# output). Needs openssl, nginx and h2load (nghttp2-client); missing ones
# are skipped with a note, nothing is installed.
set -euo pipefail
seconds=${1:-8}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${APIGW_BIN:-}
if [[ -z $bin ]]; then
  if [[ -x $root/target/release/apigw ]]; then bin=$root/target/release/apigw
  else bin=$root/target/debug/apigw; echo "note: using the DEBUG build $bin (set APIGW_BIN or build --release for real figures)"; fi
fi
scratch=$(mktemp -d /tmp/apigw-bench-tls.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$scratch"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cd "$scratch"
domain=bench.example.test
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 -subj "/CN=$domain" \
  -addext "subjectAltName=DNS:$domain" -addext "basicConstraints=critical,CA:FALSE" \
  -keyout key.pem -out cert.pem 2>/dev/null
body='{"ok":"bench"}'
cat > api.yaml <<YAML
openapi: 3.0.1
info: {title: bench}
paths:
  /:
    get:
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '$body'}
YAML
plain=$(free_port); tls=$(free_port); admin=$(free_port)
cat > config.yaml <<YAML
node: {workers: 1}
limits: {account_rate_limit: 1000000, account_burst_limit: 1000000}
apis: [{id: bench, openapi: api.yaml, stages: [{name: prod}]}]
domains:
  - domain_name: $domain
    certificate: cert.pem
    private_key: key.pem
    security_policy: TLS_1_2
    base_path_mappings: [{api: bench, stage: prod}]
YAML
if ! "$bin" serve --help | grep -q -- --tls-listen; then echo "this apigw has no --tls-listen"; exit 1; fi
taskset -c 1 "$bin" serve --config config.yaml --data-dir data --listen 127.0.0.1:$plain \
  --tls-listen 127.0.0.1:$tls --admin-listen 127.0.0.1:$admin --log warn > apigw.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sk --resolve $domain:$tls:127.0.0.1 https://$domain:$tls/ >/dev/null && break; sleep 0.1; done
curl -s --cacert cert.pem --resolve $domain:$tls:127.0.0.1 https://$domain:$tls/ | grep -q bench \
  || { echo "apigw does not answer over TLS:"; cat apigw.log; exit 1; }
servers=("apigw $tls")
if command -v nginx >/dev/null; then
  ng=$(free_port)
  mkdir -p nginx
  cat > nginx.conf <<NGINX
worker_processes 1;
worker_cpu_affinity 10;
pid $scratch/nginx/nginx.pid;
error_log $scratch/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $scratch/nginx; proxy_temp_path $scratch/nginx;
  fastcgi_temp_path $scratch/nginx; uwsgi_temp_path $scratch/nginx; scgi_temp_path $scratch/nginx;
  keepalive_requests 1000000;
  ssl_session_cache shared:tls:10m;
  ssl_session_tickets on;
  server {
    listen 127.0.0.1:$ng ssl;
    server_name $domain;
    ssl_certificate $scratch/cert.pem;
    ssl_certificate_key $scratch/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384;
    location / { default_type application/json; return 200 '$body'; }
  }
}
NGINX
  nginx -c "$scratch/nginx.conf" -g 'daemon off;' &
  pids+=($!)
  for _ in $(seq 50); do curl -s --cacert cert.pem --resolve $domain:$ng:127.0.0.1 https://$domain:$ng/ >/dev/null && break; sleep 0.1; done
  servers+=("nginx $ng")
else
  echo "note: nginx is not installed; apigw alone"
fi
echo "| server | full TLS 1.3 /s | resumed TLS 1.3 /s | full TLS 1.2 /s | resumed TLS 1.2 /s | HTTPS keep-alive req/s (h2load --h1 -c64) |"
echo "| --- | --- | --- | --- | --- | --- |"
for s in "${servers[@]}"; do
  read -r name port <<<"$s"
  row="| $name"
  for v in tls1.3 tls1.2; do
    for mode in full resumed; do
      out=$(taskset -c 0 python3 "$here/tls_handshakes.py" 127.0.0.1 "$port" $domain cert.pem "$seconds" $mode $v)
      per=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%s (%s/%s resumed)" % (d["per_second"], d["resumed"], d["handshakes"]))' "$out")
      row+=" | $per"
    done
  done
  if command -v h2load >/dev/null; then
    out=$(taskset -c 0 h2load --h1 -c 64 -D "$seconds" --connect-to=127.0.0.1:$port https://$domain:$port/ 2>&1)
    ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' <<<"$out")
    rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
    row+=" | $rps ($ok 2xx)"
  else
    row+=" | (no h2load)"
  fi
  echo "$row |"
done
