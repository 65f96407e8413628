#!/usr/bin/env bash
# Gateway overhead on loopback: wrk straight to a trivial backend vs wrk through the gateway (orch-pod
# gateway, the static release binary of the images) and through nginx, the reference proxy, to the same
# backend. Prints figures; it is not a test and asserts nothing.
#
#   1. Latency at about 1,000 requests/s. wrk has no constant-rate mode (wrk2 is not in Debian), so the
#      load is paced instead: 10 connections, each waiting 10 ms after every response before sending the
#      next request (wrk's Lua delay()). That is a closed loop of at most 1,000 requests/s; the achieved
#      rate is printed next to the percentiles. Coordinated omission applies: a stall delays later
#      requests instead of queueing them, so p99 is a lower bound on what an open-loop client would see.
#      The three paths take turns for three rounds and each figure is the median of its three runs.
#   2. Throughput at 100 connections, unpaced, the ratio to direct, and each proxy's CPU time per request
#      (user + system from /proc/PID/stat) under that load.
#   3. Open loop, when vegeta is installed (go install github.com/tsenart/vegeta/v12@v12.12.0): 200 and
#      1,000 requests/s at a constant rate, the paths taking turns in slices of 10 s; p50/p99, the requests
#      over 10 ms, the failed ones, and each proxy's CPU per request at that rate; the gateway's figures as
#      ratios to nginx's.
#   4. Start: from spawning the gateway to its first /health answer (median of 20 starts).
#   5. Memory of both proxies: RSS and PSS (/proc/PID/smaps_rollup) idle, the largest RSS sampled under the
#      100-connection load, VmHWM (peak), and the gateway's RSS/PSS 3 s after the load.
#   6. Overload, with vegeta: 1,000 requests/s for the run's seconds through each proxy while that proxy is
#      stopped (SIGSTOP) for 1 s in every 4, as a starved CPU would stall it: the client opens a connection
#      for every request it cannot send on an idle one, about a thousand per stall, past the gateway's bound
#      of 512 connections. Failed requests by error, p50/p99/max, and the most connections established.
#
# The backend is nginx answering 200 itself (one worker), so it is not the bottleneck; the reference proxy
# is Debian's nginx-light with one worker and a keep-alive upstream. Everything shares this machine's
# cores: wrk, the backend and the proxy compete for CPU, and every proxied request costs the kernel two more
# loopback exchanges, so no proxy reaches the direct rate here.
#
# Usage: hack/bench-gateway.sh [seconds per run, default 20]
#   ORCH_POD=path/to/orch-pod measures that build instead of building this checkout's (to compare two).
#   ONLY=open-loop or ONLY=overload runs that part alone (a 60 s run of everything takes about 20 minutes;
#   of the open loop, 6).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
ONLY="${ONLY:-}"
log() { echo "bench-gateway: $*" >&2; }

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx-light)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

ORCH_POD="${ORCH_POD:-$(hack/build-orch-pod.sh -q)}"

work="$(mktemp -d)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {
  local url=$1 i
  for i in $(seq 100); do
    curl -s -o /dev/null "$url" && return 0
    sleep 0.1
  done
  log "nothing answers on $url"; exit 1
}
kib() { awk -v key="$1:" '$1 == key { print $2 }' "/proc/$2/status"; }
pss_kib() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# us_per_request TICKS RPS: CPU microseconds per request over one run of DURATION seconds.
us_per_request() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v rps="$2" -v s="$DURATION" 'BEGIN { printf "%.1f", t / hz * 1000000 / (rps * s) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

backend_port="$(free_port)"
gateway_port="$(free_port)"
metrics_port="$(free_port)"
nginx_port="$(free_port)"

# nginx_conf NAME PORT LOCATION-BODY: a one-process nginx (no master), so its pid is the worker's.
nginx_conf() {
  local name=$1 port=$2 location=$3
  mkdir -p "$work/$name"
  cat >"$work/$name/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/$name/nginx.pid;
error_log $work/$name/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/$name; proxy_temp_path $work/$name; fastcgi_temp_path $work/$name;
  uwsgi_temp_path $work/$name; scgi_temp_path $work/$name;
  upstream agent { server 127.0.0.1:$backend_port; keepalive 128; }
  server {
    listen 127.0.0.1:$port;
    location / { $location }
  }
}
EOF
}
nginx_conf backend "$backend_port" 'return 200 "ok\n";'
"$nginx_bin" -p "$work/backend" -c "$work/backend/nginx.conf" 2>"$work/backend.log" &
pids+=($!)

# The status file says "running", so the gateway behaves as it does in front of a live agent.
mkdir -p "$work/status"
printf '{"phase":"running","message":"bench","runId":"bench/1","pid":1,"httpPort":%s,"updatedAt":"%s"}' \
  "$backend_port" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/status/agent.json"
ORCHAGENT_HTTP_PORT="$backend_port" ORCH_STATUS_DIR="$work/status" ORCH_GATEWAY_LISTEN_PORT="$gateway_port" \
  ORCH_GATEWAY_METRICS_PORT="$metrics_port" "$ORCH_POD" gateway 2>"$work/gateway.log" &
gateway_pid=$!
pids+=("$gateway_pid")

nginx_conf nginx "$nginx_port" 'proxy_pass http://agent; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme;'
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx.log" &
nginx_pid=$!
pids+=("$nginx_pid")

direct="http://127.0.0.1:$backend_port/bench"
proxied="http://127.0.0.1:$gateway_port/bench"
reference="http://127.0.0.1:$nginx_port/bench"
wait_http "$direct"
wait_http "$proxied"
wait_http "$reference"
for _ in $(seq 20); do curl -s -o /dev/null "$proxied"; curl -s -o /dev/null "$reference"; done
sleep 3
rss_idle="$(kib VmRSS "$gateway_pid")"; pss_idle="$(pss_kib "$gateway_pid")"
n_rss_idle="$(kib VmRSS "$nginx_pid")"; n_pss_idle="$(pss_kib "$nginx_pid")"

cat >"$work/pace.lua" <<'EOF'
-- Each connection waits 10 ms after a response before its next request.
function delay()
  return 10
end
EOF

# Prints "requests/s p50_us p99_us" from wrk --latency output.
run_wrk() {
  wrk "$@" --latency "$url" | awk '
    function us(v) {
      if (v ~ /us$/) return v + 0
      if (v ~ /ms$/) return v * 1000
      if (v ~ /s$/) return v * 1000000
      return v
    }
    $1 == "50%" { p50 = us($2) }
    $1 == "99%" { p99 = us($2) }
    $1 == "Requests/sec:" { rps = $2 }
    END { printf "%.0f %.0f %.0f\n", rps, p50, p99 }'
}

log "warming up the three paths for 3 s each"
for url in "$direct" "$proxied" "$reference"; do wrk -t1 -c100 -d3s "$url" >/dev/null; done

# ratio A B: A/B with two decimals, "-" when B is not positive (an added latency can be, in noise).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

# Median of three whitespace-separated numbers in each column of the three lines on stdin.
median3() { awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i } END {
  for (i = 1; i <= NF; i++) { a = v[i, 1]; b = v[i, 2]; c = v[i, 3]
    m = (a > b) ? ((b > c) ? b : ((a > c) ? c : a)) : ((a > c) ? a : ((b > c) ? c : b))
    printf "%s%s", m, (i < NF ? " " : "\n") } }'; }

if [[ -z "$ONLY" ]]; then
  log "paced latency, 3 rounds of ${DURATION} s per path (direct, gateway, nginx)"
  for round in 1 2 3; do
    url="$direct";    run_wrk -t1 -c10 -d"${DURATION}s" -s "$work/pace.lua" >>"$work/paced-direct"
    url="$proxied";   run_wrk -t1 -c10 -d"${DURATION}s" -s "$work/pace.lua" >>"$work/paced-gateway"
    url="$reference"; run_wrk -t1 -c10 -d"${DURATION}s" -s "$work/pace.lua" >>"$work/paced-nginx"
  done
  read -r d_rps d_p50 d_p99 < <(median3 <"$work/paced-direct")
  read -r g_rps g_p50 g_p99 < <(median3 <"$work/paced-gateway")
  read -r n_rps n_p50 n_p99 < <(median3 <"$work/paced-nginx")
fi

vegeta_bin="$(command -v vegeta || echo "$(go env GOPATH 2>/dev/null)/bin/vegeta")"
[[ -x "$vegeta_bin" ]] || log "vegeta is not installed: no open-loop or overload figures"

# overload NAME URL PID: part 6 through one proxy; prints its lines of the report.
overload() {
  local name=$1 url=$2 pid=$3 stalls most=0 established
  (
    while sleep 3; do
      kill -STOP "$pid"; sleep 1; kill -CONT "$pid"
    done
  ) &
  stalls=$!
  (
    port="${url#http://127.0.0.1:}"; port="${port%%/*}"
    while sleep 0.25; do
      established="$(ss -Htn state established "sport = :$port" | wc -l)"
      ((established > most)) && { most=$established; echo "$most" >"$work/$name-most"; }
    done
  ) &
  local sampler=$!
  echo "GET $url" | "$vegeta_bin" attack -rate=1000/s -duration="${DURATION}s" >"$work/$name-overload.bin"
  kill "$stalls" "$sampler" 2>/dev/null || true
  wait "$stalls" "$sampler" 2>/dev/null || true
  kill -CONT "$pid"
  "$vegeta_bin" report -type=json "$work/$name-overload.bin" | python3 -c 'import json, sys
r = json.load(sys.stdin); l = r["latencies"]
print("%d of %d failed, p50 %.1f ms p99 %.1f ms max %.1f ms" % (r["requests"] - r["status_codes"].get("200", 0),
      r["requests"], l["50th"] / 1e6, l["99th"] / 1e6, l["max"] / 1e6), end="")'
  echo ", at most $(cat "$work/$name-most" 2>/dev/null || echo 0) connections established"
  "$vegeta_bin" encode --to csv "$work/$name-overload.bin" |
    awk -F, '$2 != 200 { sub(/.*: /, "", $6); gsub(/"/, "", $6); n[$6]++ } END { for (e in n) printf "      %d: %s\n", n[e], e }'
}

overload_report() {
  log "overload: 1,000/s for ${DURATION} s through each proxy, stopped 1 s in every 4"
  echo "Overload (1,000 requests/s for ${DURATION} s, the proxy stopped 1 s in every 4; load average $(cut -d' ' -f1-3 /proc/loadavg) before):"
  echo "  gateway  $(overload gateway "$proxied" "$gateway_pid")"
  echo "  nginx    $(overload nginx "$reference" "$nginx_pid")"
}

if [[ "$ONLY" == overload ]]; then
  [[ -x "$vegeta_bin" ]] || exit 1
  echo
  overload_report
  exit 0
fi

open_loop_report="(vegeta not installed: no open-loop figures)"
if [[ -x "$vegeta_bin" ]]; then
  # Each path gets DURATION seconds at each rate, in slices of at most 10 s that take turns (direct, gateway,
  # nginx), so that the three meet the same moments of a shared machine's load; a path's slices are reported
  # together.
  slice=$((DURATION < 10 ? DURATION : 10))
  slices=$(((DURATION + slice - 1) / slice))
  # attack NAME URL RATE [PID]: one slice at RATE requests/s, results appended to NAME's, CPU ticks added up.
  attack() {
    local name=$1 url=$2 rate=$3 pid=${4:-} before
    [[ -z "$pid" ]] || before="$(cpu_ticks "$pid")"
    echo "GET $url" | "$vegeta_bin" attack -rate="$rate/s" -duration="${slice}s" >"$work/$name.$(date +%s%N).bin"
    [[ -z "$pid" ]] || echo $(($(cpu_ticks "$pid") - before)) >>"$work/$name.ticks"
  }
  # summary NAME RATE: "p50_us p99_us requests_over_10ms failed cpu_us_per_request" over NAME's slices.
  summary() {
    local name=$1 rate=$2 cpu="-"
    [[ ! -f "$work/$name.ticks" ]] || cpu="$(awk -v hz="$(getconf CLK_TCK)" -v n="$((rate * slice * slices))" \
      '{ t += $1 } END { printf "%.1f", t / hz * 1000000 / n }' "$work/$name.ticks")"
    echo "$("$vegeta_bin" report -type=json "$work/$name".*.bin | python3 -c 'import json, sys
r = json.load(sys.stdin); l = r["latencies"]
print(round(l["50th"] / 1000), round(l["99th"] / 1000), r["requests"] - r["status_codes"].get("200", 0))') \
      $("$vegeta_bin" report -type='hist[0,10ms]' "$work/$name".*.bin | awk '/\+Inf/ { print $3 }') $cpu" |
      awk '{ print $1, $2, $4, $3, $5 }'
  }
  open_loop_report="Open loop (vegeta, constant rate, ${slices} x ${slice} s per path taking turns; added = proxy minus direct):"
  for rate in 200 1000; do
    log "open loop at $rate requests/s, $slices slices of $slice s per path"
    for _ in $(seq "$slices"); do
      attack "direct-$rate" "$direct" "$rate"
      attack "gateway-$rate" "$proxied" "$rate" "$gateway_pid"
      attack "nginx-$rate" "$reference" "$rate" "$nginx_pid"
    done
    read -r d50 d99 dslow dfailed _ < <(summary "direct-$rate" "$rate")
    read -r g50 g99 gslow gfailed gcpu < <(summary "gateway-$rate" "$rate")
    read -r n50 n99 nslow nfailed ncpu < <(summary "nginx-$rate" "$rate")
    open_loop_report+="
  $rate/s  direct p50 $d50 us p99 $d99 us, $dslow over 10 ms, $dfailed failed
          gateway added p50 $((g50 - d50)) us p99 $((g99 - d99)) us, $gslow over 10 ms, $gfailed failed, CPU $gcpu us/request
          nginx   added p50 $((n50 - d50)) us p99 $((n99 - d99)) us, $nslow over 10 ms, $nfailed failed, CPU $ncpu us/request
          gateway / nginx: added p50 $(ratio $((g50 - d50)) $((n50 - d50))), added p99 $(ratio $((g99 - d99)) $((n99 - d99))), CPU $(ratio "$gcpu" "$ncpu")"
  done
fi

if [[ "$ONLY" == open-loop ]]; then
  echo
  echo "Gateway benchmark, open loop only ($(nproc) cores, loopback, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
  echo "$open_loop_report"
  exit 0
fi

log "throughput at 100 connections, ${DURATION} s per path"
url="$direct";  read -r d_max _ _ < <(run_wrk -t1 -c100 -d"${DURATION}s")
(
  peak=0
  while kill -0 "$gateway_pid" 2>/dev/null; do
    rss="$(kib VmRSS "$gateway_pid" || echo 0)"
    ((rss > peak)) && { peak=$rss; echo "$peak" >"$work/rss-under-load"; }
    sleep 0.5
  done
) &
sampler=$!
before="$(cpu_ticks "$gateway_pid")"
url="$proxied"; read -r g_max g_max_p50 g_max_p99 < <(run_wrk -t1 -c100 -d"${DURATION}s")
g_cpu="$(us_per_request $(($(cpu_ticks "$gateway_pid") - before)) "$g_max")"
kill "$sampler" 2>/dev/null || true
before="$(cpu_ticks "$nginx_pid")"
url="$reference"; read -r n_max _ _ < <(run_wrk -t1 -c100 -d"${DURATION}s")
n_cpu="$(us_per_request $(($(cpu_ticks "$nginx_pid") - before)) "$n_max")"
rss_load="$(cat "$work/rss-under-load")"
hwm="$(kib VmHWM "$gateway_pid")"
sleep 3
rss_after="$(kib VmRSS "$gateway_pid")"; pss_after="$(pss_kib "$gateway_pid")"

log "gateway start to first /health answer, 20 starts"
start_ms="$(python3 - "$work/status" "$ORCH_POD" <<'EOF'
import os, socket, statistics, subprocess, sys, time
times = []
for _ in range(20):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, ORCH_STATUS_DIR=sys.argv[1], ORCH_GATEWAY_LISTEN_PORT=str(port), ORCH_GATEWAY_METRICS_PORT="-1")
    started = time.monotonic()
    gateway = subprocess.Popen([sys.argv[2], "gateway"], env=env, stderr=subprocess.DEVNULL)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n")
                if connection.recv(12):
                    break
        except OSError:
            time.sleep(0.0002)
    times.append((time.monotonic() - started) * 1000)
    gateway.kill()
    gateway.wait()
print("%.1f ms (min %.1f, max %.1f)" % (statistics.median(times), min(times), max(times)))
EOF
)"

grep -q 'listening on' "$work/gateway.log" || { log "gateway did not start:"; cat "$work/gateway.log" >&2; exit 1; }

cat <<EOF

Gateway benchmark ($(nproc) cores, loopback, orch-pod gateway static release build; nginx one worker as the reference)
Paced load (10 connections, 10 ms think time, target 1,000 req/s; medians of 3 runs):
  direct         $d_rps req/s   p50 ${d_p50} us   p99 ${d_p99} us
  via gateway    $g_rps req/s   p50 ${g_p50} us   p99 ${g_p99} us
  added by gateway             p50 $((g_p50 - d_p50)) us   p99 $((g_p99 - d_p99)) us
  via nginx      $n_rps req/s   p50 ${n_p50} us   p99 ${n_p99} us
  added by nginx (reference)   p50 $((n_p50 - d_p50)) us   p99 $((n_p99 - d_p99)) us
Start to first /health answer: $start_ms
$open_loop_report
Throughput (100 connections, 1 wrk thread):
  direct         $d_max req/s
  via gateway    $g_max req/s   ratio $(awk -v g="$g_max" -v d="$d_max" 'BEGIN { printf "%.0f%%", 100 * g / d }')   (p50 ${g_max_p50} us, p99 ${g_max_p99} us)
  via nginx      $n_max req/s   ratio $(awk -v n="$n_max" -v d="$d_max" 'BEGIN { printf "%.0f%%", 100 * n / d }')
  CPU per request: gateway $g_cpu us, nginx $n_cpu us (user + system), ratio $(ratio "$g_cpu" "$n_cpu")
Memory:
  gateway idle         RSS $(mib "$rss_idle"), PSS $(mib "$pss_idle")
  gateway under load   RSS $(mib "$rss_load") (largest sample, every 0.5 s), VmHWM $(mib "$hwm")
  gateway 3 s after    RSS $(mib "$rss_after"), PSS $(mib "$pss_after")
  nginx idle           RSS $(mib "$n_rss_idle"), PSS $(mib "$n_pss_idle")
EOF
[[ ! -x "$vegeta_bin" ]] || overload_report
