#!/usr/bin/env bash
# How long `larkfeed feed-card broadcast` takes to give one card to N users (default 10,000):
# against a larkfeed server with the platform's rate limits (10 requests/s of 20 users, so the
# floor is N/200 seconds) and with them off (--rate-limits off, broadcast --rate 0).
#   usage: bench/broadcast.sh [users]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
cargo build --release -q -p larkfeed
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

{
  printf '[tenant]\nname = "Broadcast bench"\n[[apps]]\nname = "Sender"\n'
  for i in $(seq 1 "$n"); do printf '[[users]]\nname = "User %05d"\n' "$i"; done
} > "$work/world.toml"
printf '{"title":"Maintenance tonight","preview":"22:00-23:00","link":{"link":"https://example.com/m"}}' > "$work/card.json"

run() { # $1 = on|off
  local dir="$work/$1"
  mkdir -p "$dir"
  LARKFEED_LOG=warn target/release/larkfeed serve --port 0 --database "$dir/db" \
    --world "$work/world.toml" --rate-limits "$1" > "$dir/serve.out" &
  local pid=$!
  for _ in $(seq 1 100); do grep -q listening "$dir/serve.out" 2>/dev/null && break; sleep 0.1; done
  local base
  base=$(head -1 "$dir/serve.out" | awk '{print $NF}')
  curl -s "$base/_larkfeed/world" > "$dir/world.json"
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["apps"][0]; print(a["app_id"], a["app_secret"]); open(sys.argv[2],"w").write("\n".join(u["open_id"] for u in a["users"])+"\n")' \
    "$dir/world.json" "$dir/users.txt" > "$dir/creds"
  read -r app_id app_secret < "$dir/creds"
  local rate=10
  [ "$1" = off ] && rate=0
  local start end
  start=$(date +%s.%N)
  LARKFEED_BASE_URL=$base LARKFEED_APP_ID=$app_id LARKFEED_APP_SECRET=$app_secret \
    target/release/larkfeed feed-card broadcast --users "$dir/users.txt" --card "$work/card.json" \
    --rate "$rate" > "$dir/summary.json"
  end=$(date +%s.%N)
  kill "$pid"
  python3 - "$1" "$start" "$end" "$dir/summary.json" "$n" <<'PY'
import json, sys
mode, start, end, path, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
s = json.load(open(path))
assert s["created"] == n and not s["failed"], s
secs = end - start
floor = n / 200
extra = f", floor {floor:.1f} s (10 req/s x 20 users), ratio {secs / floor:.3f}" if mode == "on" else ""
print(f"rate limits {mode}: {n} users in {secs:.2f} s ({n / secs:,.0f} users/s){extra}")
PY
}

run on
run off
