#!/usr/bin/env bash
# Gateway overhead on loopback: wrk straight to a trivial backend vs wrk through the gateway to the same
# backend. Prints figures; it is not a test and asserts nothing.
#
#   1. Latency at about 1,000 requests/s. wrk has no constant-rate mode (wrk2 is not in Debian), so the
#      load is paced instead: 10 connections, each waiting 10 ms after every response before sending the
#      next request (wrk's Lua delay()). That is a closed loop of at most 1,000 requests/s; the achieved
#      rate is printed next to the percentiles. Coordinated omission applies: a stall delays later
#      requests instead of queueing them, so p99 is a lower bound on what an open-loop client would see.
#      The three paths take turns for three rounds and each figure is the median of its three runs: one
#      run's p99 moves by a millisecond on a shared VM.
#   2. Throughput at 64 connections, unpaced, and the ratio gateway/direct.
#   3. Gateway memory from /proc/PID/status: VmRSS idle (after start and a few requests), the largest VmRSS
#      sampled under the 64-connection load, and VmHWM (peak) at the end; and the gateway's CPU time per
#      proxied request under that load (user + system from /proc/PID/stat).
#   4. The same two measurements through nginx (Debian's nginx-light, one worker, keep-alive upstream) as a
#      reference proxy: it shows what any proxy can reach on this machine, where the proxy, wrk and the
#      backend share the cores and every request costs the kernel two more loopback exchanges.
#
# The gateway runs as a plain java process with exactly the JVM options of its image
# (gateway-sidecar/image/jvm.options, passed as a java @argfile in both places) and the jar Maven builds.
# The backend is a one-event-loop Vert.x server from the gateway's test sources (BenchBackend) with an
# ordinary JIT and heap, so it is not the bottleneck of the direct run. Everything shares this machine's
# cores: through the gateway, the gateway competes with wrk and the backend for CPU, and that is part of
# what the throughput ratio measures.
#
# Usage: hack/bench-gateway.sh [seconds per run, default 20]
#   GATEWAY_JAVA_OPTS  extra JVM options after the image's, to try a change before putting it in the
#                      argfile (e.g. GATEWAY_JAVA_OPTS=-XX:TieredStopAtLevel=4 for C2)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
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

hack/mvn -B -q -pl gateway-sidecar package -DskipTests >&2

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
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

backend_port="$(free_port)"
gateway_port="$(free_port)"
metrics_port="$(free_port)"
nginx_port="$(free_port)"

java -Xmx256m -cp "gateway-sidecar/target/test-classes:gateway-sidecar/target/lib/*" \
  dev.orch.gateway.bench.BenchBackend "$backend_port" 1 2>"$work/backend.log" &
pids+=($!)

# The runner's status file says "running", so the gateway behaves as it does in front of a live agent.
mkdir -p "$work/status"
printf '{"phase":"running","message":"bench","runId":"bench/1","pid":1,"httpPort":%s,"updatedAt":"%s"}' \
  "$backend_port" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$work/status/agent.json"
ORCHAGENT_HTTP_PORT="$backend_port" ORCH_STATUS_DIR="$work/status" ORCH_GATEWAY_LISTEN_PORT="$gateway_port" \
  ORCH_GATEWAY_METRICS_PORT="$metrics_port" \
  java @gateway-sidecar/image/jvm.options ${GATEWAY_JAVA_OPTS:-} -jar gateway-sidecar/target/orch-gateway.jar 2>"$work/gateway.log" &
gateway_pid=$!
pids+=("$gateway_pid")

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  upstream agent { server 127.0.0.1:$backend_port; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://agent;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
EOF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx.log" &
pids+=($!)

direct="http://127.0.0.1:$backend_port/bench"
proxied="http://127.0.0.1:$gateway_port/bench"
reference="http://127.0.0.1:$nginx_port/bench"
wait_http "$direct"
wait_http "$proxied"
wait_http "$reference"
for _ in $(seq 20); do curl -s -o /dev/null "$proxied"; done
sleep 2
rss_idle="$(kib VmRSS "$gateway_pid")"

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

log "warming up the three paths (JIT) for 10 s each"
for url in "$direct" "$proxied" "$reference"; do wrk -t1 -c64 -d10s "$url" >/dev/null; done

# Median of three whitespace-separated numbers in each column of the three lines on stdin.
median3() { awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i } END {
  for (i = 1; i <= NF; i++) { a = v[i, 1]; b = v[i, 2]; c = v[i, 3]
    m = (a > b) ? ((b > c) ? b : ((a > c) ? c : a)) : ((a > c) ? a : ((b > c) ? c : b))
    printf "%s%s", m, (i < NF ? " " : "\n") } }'; }

log "paced latency, 3 rounds of ${DURATION} s per path (direct, gateway, nginx)"
for round in 1 2 3; do
  url="$direct";    run_wrk -t1 -c10 -d"${DURATION}s" -s "$work/pace.lua" >>"$work/paced-direct"
  url="$proxied";   run_wrk -t1 -c10 -d"${DURATION}s" -s "$work/pace.lua" >>"$work/paced-gateway"
  url="$reference"; run_wrk -t1 -c10 -d"${DURATION}s" -s "$work/pace.lua" >>"$work/paced-nginx"
done
read -r d_rps d_p50 d_p99 < <(median3 <"$work/paced-direct")
read -r g_rps g_p50 g_p99 < <(median3 <"$work/paced-gateway")
read -r n_rps n_p50 n_p99 < <(median3 <"$work/paced-nginx")

log "throughput at 64 connections, ${DURATION} s per path"
url="$direct";  read -r d_max _ _ < <(run_wrk -t1 -c64 -d"${DURATION}s")
(
  peak=0
  while kill -0 "$gateway_pid" 2>/dev/null; do
    rss="$(kib VmRSS "$gateway_pid" || echo 0)"
    ((rss > peak)) && { peak=$rss; echo "$peak" >"$work/rss-under-load"; }
    sleep 0.5
  done
) &
sampler=$!
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$gateway_pid/stat"; }
ticks_before="$(cpu_ticks)"
url="$proxied"; read -r g_max g_max_p50 g_max_p99 < <(run_wrk -t1 -c64 -d"${DURATION}s")
ticks_after="$(cpu_ticks)"
kill "$sampler" 2>/dev/null || true
url="$reference"; read -r n_max _ _ < <(run_wrk -t1 -c64 -d"${DURATION}s")
cpu_us_per_request="$(awk -v t=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" -v rps="$g_max" -v s="$DURATION" \
  'BEGIN { printf "%.1f", t / hz * 1000000 / (rps * s) }')"
rss_load="$(cat "$work/rss-under-load")"
hwm="$(kib VmHWM "$gateway_pid")"

grep -q 'listening on' "$work/gateway.log" || { log "gateway did not start:"; cat "$work/gateway.log" >&2; exit 1; }

cat <<EOF

Gateway benchmark ($(nproc) cores, loopback, gateway as plain java with gateway-sidecar/image/jvm.options ${GATEWAY_JAVA_OPTS:-})
Paced load (10 connections, 10 ms think time, target 1,000 req/s; medians of 3 runs):
  direct         $d_rps req/s   p50 ${d_p50} us   p99 ${d_p99} us
  via gateway    $g_rps req/s   p50 ${g_p50} us   p99 ${g_p99} us
  added by gateway             p50 $((g_p50 - d_p50)) us   p99 $((g_p99 - d_p99)) us   (target: p99 <= 1000 us)
  via nginx      $n_rps req/s   p50 ${n_p50} us   p99 ${n_p99} us
  added by nginx (reference)   p50 $((n_p50 - d_p50)) us   p99 $((n_p99 - d_p99)) us
Throughput (64 connections, 1 wrk thread):
  direct         $d_max req/s
  via gateway    $g_max req/s   (p50 ${g_max_p50} us, p99 ${g_max_p99} us)
  ratio          $(awk -v g="$g_max" -v d="$d_max" 'BEGIN { printf "%.0f%%", 100 * g / d }')   (target: >= 70%)
  gateway CPU    $cpu_us_per_request us per request (user + system)
  via nginx      $n_max req/s   ratio $(awk -v n="$n_max" -v d="$d_max" 'BEGIN { printf "%.0f%%", 100 * n / d }') (reference: what a proxy reaches on this machine)
Gateway memory (target: <= 64 MiB):
  idle VmRSS           $(mib "$rss_idle")
  under load VmRSS     $(mib "$rss_load") (largest sample, every 0.5 s)
  VmHWM at the end     $(mib "$hwm")
EOF
