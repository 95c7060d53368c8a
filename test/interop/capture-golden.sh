#!/usr/bin/env bash
# Records golden frames from a real Kitex client talking to a real Kitex server through the
# recording proxy (cmd/tap), and writes them to test/fixtures/kitex/*.hex (one frame per file).
#
#   test/interop/capture-golden.sh [outdir]     (default: test/fixtures/kitex)
#
# Each scenario runs in its own client process, so every captured stream has sid 1 (the Kitex
# stream-id counter is process-global and starts at 1). Needs: go (>= 1.21), jq.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${1:-$repo/test/fixtures/kitex}"
bin="$here/kitex-peer/bin"
command -v jq >/dev/null || { echo "capture-golden: jq is needed" >&2; exit 1; }

"$here/build-peer.sh"
mkdir -p "$out"
work="$(mktemp -d)"
srv_pid=""
tap_pid=""
cleanup() {
  [ -n "$tap_pid" ] && kill -TERM "$tap_pid" 2>/dev/null || true
  [ -n "$srv_pid" ] && kill -TERM "$srv_pid" 2>/dev/null || true
  sleep 0.3
  rm -rf "$work"
}
trap cleanup EXIT

wait_listening() { # file
  for _ in $(seq 100); do
    grep -q '^LISTENING ' "$1" 2>/dev/null && { awk '/^LISTENING /{print $2; exit}' "$1"; return 0; }
    sleep 0.1
  done
  echo "capture-golden: $1 never said LISTENING" >&2
  exit 1
}

timeout 600 "$bin/server" -addr 127.0.0.1:0 >"$work/srv.out" 2>"$work/srv.err" &
srv_pid=$!
saddr="$(wait_listening "$work/srv.out")"
timeout 600 "$bin/tap" -listen 127.0.0.1:0 -target "$saddr" -out "$work/tap.jsonl" >"$work/tap.out" 2>&1 &
tap_pid=$!
taddr="$(wait_listening "$work/tap.out")"

kitex_version="$(cd "$here/kitex-peer" && go list -m -f '{{.Version}}' github.com/cloudwego/kitex)"
gopkg_version="$(cd "$here/kitex-peer" && go list -m -f '{{.Version}}' github.com/cloudwego/gopkg)"
goversion="$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"

declare -A mark
declare -A svc_of
run() { # name, client args...
  local name="$1"
  shift
  mark[$name]="$(wc -l <"$work/tap.jsonl" 2>/dev/null || echo 0)"
  svc_of[$name]="${SVC-A}"
  timeout 60 "$bin/client" -addr "$taddr" -service-name "${SVC-A}" "$@" >"$work/$name.verdict" 2>"$work/$name.err" || true
  sleep 0.3
  mark[$name.end]="$(wc -l <"$work/tap.jsonl")"
}

run echo_server -scenario echo_server -count 3
run biz -scenario server_stream_biz_error -count 3
run plain -scenario server_stream_plain_error
run cancel -scenario cancel_bidi_before_first
run metainfo -scenario metainfo
run deadline -scenario deadline -timeout 300ms
run recvto -scenario recv_timeout -recv-timeout 200ms -interval 1000
run bidi -scenario echo_bidi -count 1
run cancelclient -scenario cancel_client_close_and_recv
run bizdelay -scenario server_stream_biz_error -count 3 -recv-delay 100ms # evidence for D1
SVC="" run nosvc -scenario cancel_bidi_mid_stream

# cascade: client A -> server B (-forward-to the tap) -> tap -> server C; A cancels
timeout 600 "$bin/server" -addr 127.0.0.1:0 -forward-to "$taddr" -service-name B >"$work/b.out" 2>"$work/b.err" &
b_pid=$!
baddr="$(wait_listening "$work/b.out")"
mark[cascade]="$(wc -l <"$work/tap.jsonl")"
timeout 60 "$bin/client" -addr "$baddr" -service-name A -scenario cancel_bidi_mid_stream >"$work/cascade.verdict" 2>"$work/cascade.err" || true
sleep 0.5
mark[cascade.end]="$(wc -l <"$work/tap.jsonl")"
kill -TERM "$b_pid" 2>/dev/null || true

# pick <run> <jq filter selecting one frame> <file> <description>
pick() {
  local name="$1" filter="$2" file="$3" desc="$4"
  local from=$((mark[$name] + 1)) to="${mark[$name.end]}"
  local rec
  rec="$(sed -n "${from},${to}p" "$work/tap.jsonl" | jq -c "select(.event==null) | select($filter)" | head -1)"
  if [ -z "$rec" ]; then
    echo "capture-golden: no frame for $file ($name: $filter)" >&2
    exit 1
  fi
  {
    echo "# $desc"
    echo "# captured from Kitex $kitex_version (cloudwego/gopkg $gopkg_version), $goversion"
    echo "# direction: $(jq -r '.dir | if .=="c2s" then "client -> server (Kitex client)" else "server -> client (Kitex server)" end' <<<"$rec")"
    echo "# scenario: $name: test/interop/kitex-peer client -service-name '${svc_of[$name]-A}', scenario $(jq -r '.scenario' "$work/$name.verdict" | head -1) (see test/fixtures/kitex/README.md)"
    echo "# frame: $(jq -r '"\(.type_name) sid=\(.sid) method=\(.method) total=\(.len) bytes, header_bytes=\(.header_bytes), payload=\(.payload_len) bytes"' <<<"$rec")"
    echo "# int keys (wire order): $(jq -c '[.int_order[] as $k | {($k|tostring): (.int[$k|tostring])}] | add' <<<"$rec")"
    echo "# string keys (wire order): $(jq -c 'if .str_order then [.str_order[] as $k | {($k): .str[$k]}] else [] end' <<<"$rec")"
    echo "# Go writes both KV blocks from maps: key order varies between runs; compare semantically."
    jq -r '.hex' <<<"$rec" | fold -w 64
  } >"$out/$file"
  echo "  $file"
}

echo "capture-golden: writing to $out"
pick echo_server '.dir=="c2s" and .type_name=="HEADER"' client-header.hex "client HEADER opening EchoServer (isn only, no metainfo)"
pick echo_server '.dir=="c2s" and .type_name=="DATA"' client-data.hex "client DATA: Request{message:\"hello\", userId:0, count:3}"
pick echo_server '.dir=="c2s" and .type_name=="TRAILER"' client-trailer-empty.hex "client empty TRAILER (CloseSend, sent by the generated server-streaming client)"
pick echo_server '.dir=="s2c" and .type_name=="HEADER"' server-header.hex "server HEADER with x-handler=TestService.EchoServer (SetHeader)"
pick echo_server '.dir=="s2c" and .type_name=="DATA"' server-data.hex "server DATA: Response{message:\"hello\", index:0}"
pick echo_server '.dir=="s2c" and .type_name=="TRAILER"' server-trailer-ok.hex "server success TRAILER with x-sent=3 (SetTrailer), no payload"
pick biz '.dir=="s2c" and .type_name=="TRAILER"' server-trailer-biz-error.hex "server TRAILER for BizStatusError(10001, \"insufficient user balance\", {testKey: testVal}) after 3 tokens"
pick plain '.dir=="s2c" and .type_name=="HEADER"' server-header-before-exception.hex "server HEADER sent before the exception TRAILER (handler returned errors.New(\"test error\") without sending)"
pick plain '.dir=="s2c" and .type_name=="TRAILER"' server-trailer-exception.hex "server TRAILER for errors.New(\"test error\"): TApplicationException payload"
pick cancel '.dir=="c2s" and .type_name=="RST"' client-rst-cancel.hex "client RST after cancel() of a bidi stream (Echo), client service name A"
pick cancel '.dir=="c2s" and .type_name=="TRAILER"' client-trailer-after-rst.hex "client empty TRAILER sent right after its RST (stream was not half-closed)"
pick cancel '.dir=="s2c" and .type_name=="TRAILER"' server-trailer-after-rst.hex "server TRAILER written after the RST (handler returned the cancel error); the Kitex client drops it"
pick metainfo '.dir=="c2s" and .type_name=="HEADER"' client-header-metainfo.hex "client HEADER with metainfo WithValue(k2,v2) + WithPersistentValue(k1,v1)"
pick deadline '.dir=="c2s" and .type_name=="RST"' client-rst-deadline.hex "client RST after its ctx deadline (300ms) expired (type 12015)"
pick recvto '.dir=="c2s" and .type_name=="RST"' client-rst-recv-timeout.hex "client RST after a 200ms Recv timeout (type 12014)"
pick bidi '.dir=="c2s" and .type_name=="HEADER"' client-header-bidi.hex "client HEADER opening Echo (bidi)"
pick nosvc '.dir=="c2s" and .type_name=="RST"' client-rst-cancel-no-service-name.hex "client RST after cancel() of a bidi stream (Echo), client without a service name: no string KV block"
pick cancelclient '.dir=="c2s" and .type_name=="RST"' client-rst-after-trailer.hex "client RST of a client-streaming stream canceled before CloseAndRecv: this RST comes AFTER the client's empty TRAILER"
pick cascade '.dir=="c2s" and .type_name=="RST"' client-rst-cascade.hex "RST sent by hop B (Kitex server whose handler ctx was canceled by A's RST) on its downstream stream: ttscp A,B, original type and message"

# the full decoded capture (all frames of all runs), for reference and fuzz seeds
jq -c 'del(.t_ms, .t_us)' "$work/tap.jsonl" >"$out/capture.jsonl"
for f in "$work"/*.verdict; do
  cat "$f"
done | jq -c 'del(.start_unix_ms, .elapsed_ms)' >"$out/verdicts.jsonl" || true
echo "capture-golden: done"
