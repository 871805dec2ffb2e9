#!/usr/bin/env bash
# Requests per second of POST /open-apis/im/v2/app_feed_card with 20 users, measured with wrk,
# beside the same wrk load against a trivial axum handler (crates/server/examples/trivial.rs) in
# the same run. Every request creates 20 new cards (no biz_id: the server generates one).
#   usage: bench/feed_card.sh [seconds] [connections]      (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${2:-16}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 1; }
cargo build --release -q -p larkfeed -p larkfeed-server --bins --example trivial
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

{
  printf '[tenant]\nname = "Bench"\n'
  for i in $(seq 1 20); do printf '[[users]]\nname = "User %02d"\n' "$i"; done
  printf '[[apps]]\nname = "Bench App"\n'
} > "$work/world.toml"

LARKFEED_LOG=warn target/release/larkfeed serve --port 0 --database "${LARKFEED_BENCH_DB:-$work/bench.db}" \
  --world "$work/world.toml" --rate-limits off > "$work/larkfeed.out" &
target/release/examples/trivial > "$work/trivial.out" &
for f in larkfeed trivial; do
  for _ in $(seq 1 100); do grep -q listening "$work/$f.out" && break; sleep 0.1; done
done
lf=$(head -1 "$work/larkfeed.out" | awk '{print $NF}')
tr=$(head -1 "$work/trivial.out" | awk '{print $NF}')

world=$(curl -s "$lf/_larkfeed/world")
read -r app_id app_secret < <(python3 -c 'import json,sys; a=json.load(sys.stdin)["apps"][0]; print(a["app_id"], a["app_secret"])' <<<"$world")
users=$(python3 -c 'import json,sys; print(json.dumps([u["open_id"] for u in json.load(sys.stdin)["apps"][0]["users"]]))' <<<"$world")
token=$(curl -s -X POST "$lf/open-apis/auth/v3/tenant_access_token/internal" \
  -d "{\"app_id\":\"$app_id\",\"app_secret\":\"$app_secret\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tenant_access_token"])')

body="{\"app_feed_card\":{\"title\":\"主标题\",\"preview\":\"预览信息\",\"status_label\":{\"text\":\"标签文字\",\"type\":\"primary\"},\"buttons\":{\"buttons\":[{\"multi_url\":{\"url\":\"https://www.feishu.cn/\"},\"action_type\":\"url_page\",\"text\":{\"text\":\"文本\"},\"button_type\":\"default\",\"action_map\":{\"foo\":\"bar\"}}]},\"link\":{\"link\":\"https://www.feishu.cn/\"}},\"user_ids\":$users}"
check=$(curl -s -X POST "$lf/open-apis/im/v2/app_feed_card" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body")
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["code"]==0 and r["data"]["failed_cards"]==[], r' "$check"

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json; charset=utf-8"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = [[$body]]
LUA

rps() { wrk -t2 -c"$conns" -d"${secs}s" -s "$work/post.lua" "$1" | tee "$work/last.txt" >&2; awk '/Requests\/sec/ {print $2}' "$work/last.txt"; }
echo "== trivial axum handler ($tr)" >&2
base=$(rps "$tr/")
echo "== larkfeed POST app_feed_card, 20 users ($lf)" >&2
ours=$(rps "$lf/open-apis/im/v2/app_feed_card")
cards=$(python3 - "$work/bench.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from feed_cards").fetchone()[0])
PY
)
printf '\ntrivial axum: %s req/s\nlarkfeed app_feed_card (20 users): %s req/s (%s cards stored)\nratio: %s\n' \
  "$base" "$ours" "$cards" "$(python3 -c "print(f'{float(\"$ours\")/float(\"$base\"):.3f}')")"
