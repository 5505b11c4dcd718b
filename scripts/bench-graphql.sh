#!/usr/bin/env bash
# GraphQL throughput and latency with wrk, next to GET /health in the same
# run (issue 4's benchmark). Usage:
#   scripts/bench-graphql.sh DATA_DIR [SECONDS] [CONNECTIONS]
# GRAPHQL_CACHE=0 measures without the result cache.
# DATA_DIR holds a loaded graph (e.g. `caregraph generate --patients 100000`
# then `caregraph load`). Needs wrk (Debian package `wrk`) and a release
# build (`cargo build --release -p server`).
set -euo pipefail
data_dir=${1:?usage: scripts/bench-graphql.sh DATA_DIR [SECONDS] [CONNECTIONS]}
seconds=${2:-10}
connections=${3:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CAREGRAPH_BIN:-$root/target/release/caregraph}
port=${PORT:-7599}
work=$(mktemp -d)
# Stop the server and wait for it (it writes a snapshot and unlocks the
# data directory on the way out).
trap 'kill -INT $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT

# Requests carry an admin token signed with a secret made for this run; no
# rate limit (it would cap the figures).
export CAREGRAPH_JWT_SECRET
CAREGRAPH_JWT_SECRET=$(head -c 32 /dev/urandom | base64)
token=$("$bin" token --role admin --sub bench)
auth="Authorization: Bearer $token"
# The recommender logs when its startup build is done (see below).
CAREGRAPH_LOG="warn,server::graphql::recommend=info" \
  "$bin" serve --data-dir "$data_dir" --http 127.0.0.1:$port --graphql-cache "${GRAPHQL_CACHE:-10000}" --rate-limit 0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1
  fi
  sleep 1
done

# The recommender is built in the background at startup (about 45 s on
# 100,000 patients, on one of the cores): measure after it, not next to it.
for _ in $(seq 1 900); do
  grep -q "recommender built\|recommender could not be built" "$work/server.log" && break
  sleep 1
done
grep -q "recommender built" "$work/server.log" || echo "warning: the recommender is not built yet; figures share the CPU with it" >&2

# 1,000 patient ids, picked at random by each request of (a).
curl -s -XPOST -H "$auth" -H 'Content-Type: application/json' "http://127.0.0.1:$port/db/neo4j/query/v2" \
  -d '{"statement": "MATCH (p:Patient) RETURN p.id SKIP 1000 LIMIT 1000"}' |
  python3 -c 'import json,sys; ids=[r[0] for r in json.load(sys.stdin)["data"]["values"]]; print("ids = {" + ",".join(json.dumps(i) for i in ids) + "}")' >"$work/ids.lua"

body_lua() { # name, query, with-id (1: pick a patient id per request)
  local json
  json=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$2")
  cat >"$work/$1.lua" <<LUA
dofile("$work/ids.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local head = [[{"query": $json, "variables": {]]
request = function()
  local vars = ""
  if $3 == 1 then vars = '"id": "' .. ids[math.random(#ids)] .. '"' end
  return wrk.format(nil, "/graphql", nil, head .. vars .. "}}")
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
}
body_lua a 'query($id: ID!) { patient(id: $id) { name city { name } conditions(first: 20) { edges { onset node { code display } } } } }' 1
body_lua b '{ patients(first: 20) { edges { node { id name prescriptions(first: 10) { totalCount edges { node { authoredOn medication { display } } } } } } } }' 0
body_lua c '{ payers(first: 20) { edges { node { name claimsAggregate { count total { sum avg } } } } } }' 0
cat >"$work/health.lua" <<LUA
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.0f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA

# Check each query answers without errors before measuring it.
id=$(sed -e 's/^ids = {"//' -e 's/",.*//' "$work/ids.lua")
for q in 'query($id: ID!) { patient(id: $id) { name city { name } conditions(first: 20) { edges { onset node { code display } } } } }' \
         '{ patients(first: 20) { edges { node { id name prescriptions(first: 10) { totalCount edges { node { authoredOn medication { display } } } } } } } }' \
         '{ payers(first: 20) { edges { node { name claimsAggregate { count total { sum avg } } } } } }'; do
  body=$(python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "variables": {"id": sys.argv[2]}}))' "$q" "$id")
  answer=$(curl -s -XPOST -H "$auth" -H 'Content-Type: application/json' "http://127.0.0.1:$port/graphql" -d "$body")
  if grep -q '"errors"' <<<"$answer"; then echo "query failed: $answer" >&2; exit 1; fi
  echo "checked: ${answer:0:120}..." >&2
done

run() { # name script [extra wrk args]
  local name=$1 script=$2; shift 2
  local line
  line=$(wrk -t2 -c"$connections" -d"${seconds}s" --timeout 30s --latency -s "$script" "$@" "http://127.0.0.1:$port${path:-/}" | grep RESULT)
  read -r _ rps p50 p99 errors <<<"$line"
  printf "%-34s %10s req/s   p50 %8s ms   p99 %8s ms   errors %s\n" "$name" "$rps" "$p50" "$p99" "$errors"
  echo "$rps" >"$work/${name%% *}.rps"
  echo "$p50" >"$work/${name%% *}.p50"
}
echo "wrk: $connections connections, ${seconds}s each, $(nproc) cores shared by server and wrk; GraphQL result cache: ${GRAPHQL_CACHE:-10000} entries"
path=/health run health "$work/health.lua"
path=/ run a-patient-by-id "$work/a.lua"
health=$(cat "$work/health.rps"); a=$(cat "$work/a-patient-by-id.rps")
python3 -c "print(f'(a) / health = {$a / $health:.2f}')"

# (a) at about half of its maximum rate: each connection waits a fixed
# delay between requests (wrk counts it in milliseconds), and the number of
# connections is chosen so that connections / (delay + p50) is about half
# the maximum rate. The rate reached is printed next to the target.
half=$(python3 -c "print(max(1, int($a / 2)))")
p50=$(cat "$work/a-patient-by-id.p50")
delay_ms=2
half_connections=$(python3 -c "print(max(2, round($half * ($delay_ms + $p50) / 1000)))")
sed "1i function delay() return $delay_ms end" "$work/a.lua" >"$work/a-half.lua"
connections=$half_connections path=/ run "a-at-half-rate (target $half/s, $half_connections connections)" "$work/a-half.lua"

# (b) and (c) last: an uncached (c) takes seconds, and requests wrk gave up
# on keep the server busy after wrk stops.
path=/ run b-page-of-20-with-prescriptions "$work/b.lua"
path=/ run c-claims-per-payer-aggregate "$work/c.lua"
