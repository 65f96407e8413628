#!/usr/bin/env bash
# Per-pod cost of the agent pod's data plane (orch-pod supervise + orch-pod gateway), measured on podman pods
# shaped like the operator's AgentPod (the pod tests' shape: shared network namespace, restricted containers,
# gateway -> prepare -> agent). Prints figures; it is not a test and asserts nothing.
#
#   1. Start: gateway container start -> /health answers, and agent container start -> status "running"
#      (the runId the supervisor writes carries the time it started the agent), from podman's StartedAt.
#   2. Overhead PSS and RSS of every process of a pod's own containers except the agent process (the
#      gateway and the supervisor), with PODS pods idle, then for one pod under 100 connections, during a
#      burst of 1,000 connections and in the seconds after; the runtime's own per-pod processes (the
#      pod's pause process and podman's conmon per container, where Kubernetes has one containerd shim per
#      pod) on a separate line.
#   3. Supervisor CPU per log line with 20 secrets masked, and its RSS under a ~10 MB/s log stream, running
#      the release binary on the host with a Python agent that writes (and flushes) one line per write.
#
# The agent is pod-tests' python-http bundle (Python's ThreadingHTTPServer). Load comes from wrk.
# Usage: hack/bench-pod.sh [pods, default 10]   (ORCH_IMAGE_TAG picks the images, as for hack/images.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PODS="${1:-10}"
TAG="${ORCH_IMAGE_TAG:-0.1.0}"
log() { echo "bench-pod: $*" >&2; }

command -v wrk >/dev/null || { log "wrk is missing: apt-get install wrk"; exit 1; }
CONTAINERS_CONF="$(hack/images.sh runner gateway | tail -n1)"
export CONTAINERS_CONF
ORCH_POD="$(hack/build-orch-pod.sh -q)"

work="$(mktemp -d)"
pods=()
cleanup() {
  local pod
  for pod in "${pods[@]}"; do podman pod rm --force --time 0 "$pod" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

restricted=(--read-only --read-only-tmpfs=false --user 65532:65532 --cap-drop ALL --security-opt no-new-privileges)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
iso_ms() { date -d "$1" +%s%3N; }
started_ms() { iso_ms "$(podman inspect --format '{{.State.StartedAt}}' "$1" | awk '{ print $1 "T" $2 $3 }')"; }
container_pid() { podman inspect --format '{{.State.Pid}}' "$1"; }
conmon_pid() { podman inspect --format '{{.State.ConmonPid}}' "$1"; }
# kib FIELD FILE PID...: the sum of FIELD over the processes' /proc/PID/FILE.
kib() { local field=$1 file=$2 pid total=0; shift 2
  for pid in "$@"; do total=$((total + $(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/$file"))); done
  echo "$total"; }
mib() { awk -v k="$1" -v n="${2:-1}" 'BEGIN { printf "%.1f MiB", k / n / 1024 }'; }

# start_pod NAME: the pod, its volumes and three containers; prints "gateway-start-ms agent-start-ms".
start_pod() {
  local name=$1 dir="$work/$1" port volume runner_env
  mkdir -p "$dir/bundle-source"
  for volume in workspace status tmp; do mkdir -p "$dir/$volume"; chmod 0777 "$dir/$volume"; done
  cp pod-tests/src/test/resources/bundles/python-http/main.py "$dir/bundle-source/"
  port="$(free_port)"
  echo "$port" >"$dir/port"
  podman pod create --name "$name" -p "127.0.0.1:$port:8080" >/dev/null
  pods+=("$name")
  podman run -d --pod "$name" --name "$name-gateway" "${restricted[@]}" \
    --entrypoint '["/usr/local/bin/orch-pod", "gateway"]' -e ORCHAGENT_HTTP_PORT=3000 -e ORCH_STATUS_DIR=/orch/status \
    -v "$dir/status:/orch/status" -v "$dir/tmp:/tmp" "localhost/orch-gateway:$TAG" >/dev/null
  until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.002; done
  local answered; answered="$(now_ms)"
  runner_env=(-e ORCH_AGENT="bench/$name" -e ORCH_BUNDLE_KIND=configmap -e ORCH_WORKSPACE=/orch/workspace
    -e ORCH_STATUS_DIR=/orch/status -e HOME=/tmp -e PORT=3000 -e ORCHAGENT_HTTP_PORT=3000
    -v "$dir/workspace:/orch/workspace" -v "$dir/status:/orch/status" -v "$dir/tmp:/tmp"
    -v "$dir/bundle-source:/orch/bundle-source:ro")
  podman run --pod "$name" --name "$name-prepare" "${restricted[@]}" --entrypoint '["/usr/local/bin/orch-prepare"]' \
    "${runner_env[@]}" "localhost/orch-runner:$TAG" >/dev/null 2>&1
  podman run -d --pod "$name" --name "$name-agent" "${restricted[@]}" \
    --entrypoint '["/usr/local/bin/orch-pod", "supervise"]' "${runner_env[@]}" "localhost/orch-runner:$TAG" >/dev/null
  until grep -q '"running"' "$dir/status/agent.json" 2>/dev/null; do sleep 0.01; done
  local run_started
  run_started="$(iso_ms "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["runId"].split("/")[0])' "$dir/status/agent.json")")"
  echo "$((answered - $(started_ms "$name-gateway"))) $((run_started - $(started_ms "$name-agent")))"
}

log "starting $PODS pods"
: >"$work/starts"
for i in $(seq "$PODS"); do start_pod "bench-pod-$i" >>"$work/starts"; done
for i in $(seq "$PODS"); do
  until curl -sf -o /dev/null "http://127.0.0.1:$(cat "$work/bench-pod-$i/port")/health"; do sleep 0.05; done
done
sleep 5

# The pod's own processes except the agent: the gateway and the supervisor (each container's PID 1).
overhead_pids() { echo "$(container_pid "$1-gateway") $(container_pid "$1-agent")"; }
runtime_pids() {
  echo "$(container_pid "$(podman pod inspect --format '{{.InfraContainerID}}' "$1")")" \
    "$(conmon_pid "$1-gateway") $(conmon_pid "$1-agent") $(conmon_pid "$(podman pod inspect --format '{{.InfraContainerID}}' "$1")")"
}
all_overhead=(); all_runtime=()
for pod in "${pods[@]}"; do
  read -ra p <<<"$(overhead_pids "$pod")"; all_overhead+=("${p[@]}")
  read -ra p <<<"$(runtime_pids "$pod")"; all_runtime+=("${p[@]}")
done
idle_pss="$(kib Pss smaps_rollup "${all_overhead[@]}")"; idle_rss="$(kib Rss smaps_rollup "${all_overhead[@]}")"
gateway_pss="$(kib Pss smaps_rollup "$(container_pid bench-pod-1-gateway)")"
supervisor_pss="$(kib Pss smaps_rollup "$(container_pid bench-pod-1-agent)")"
runtime_pss="$(kib Pss smaps_rollup "${all_runtime[@]}")"; runtime_rss="$(kib Rss smaps_rollup "${all_runtime[@]}")"

read -ra one <<<"$(overhead_pids bench-pod-1)"
url="http://127.0.0.1:$(cat "$work/bench-pod-1/port")/"
sample() { echo "PSS $(mib "$(kib Pss smaps_rollup "${one[@]}")"), RSS $(mib "$(kib Rss smaps_rollup "${one[@]}")")"; }
log "one pod under 100 connections (10 s), then a burst of 1,000 (5 s)"
wrk -t1 -c100 -d10s "$url" >"$work/wrk-100" 2>&1 &
sleep 7; under_100="$(sample)"; wait $!
wrk -t2 -c1000 -d5s "$url" >"$work/wrk-1000" 2>&1 &
sleep 4; during_burst="$(sample)"; wait $!
after=()
for s in 1 3 5 10; do sleep $((s - ${last:-0})); last=$s; after+=("+${s} s: $(sample)"); done

log "supervisor CPU per log line, 20 secrets"
mkdir -p "$work/log/workspace/.orch" "$work/log/workspace/bundle"
secrets=(); names=()
for i in $(seq 20); do names+=("SECRET_$i"); secrets+=("SECRET_$i=secret-value-$i-$RANDOM$RANDOM"); done
cat >"$work/log/workspace/bundle/agent.py" <<'EOF'
import os, sys, time
lines = int(sys.argv[1])
secret = os.environ["SECRET_7"]
line = "2025-05-20 10:00:00 INFO handled request path=/webhook status=200 duration_ms=12 user=someone%s\n"
write = sys.stdout.write
flush = sys.stdout.flush
start = time.time()
for i in range(lines):
    write(line % (" token=" + secret if i % 100 == 0 else ""))
    flush()
sys.stderr.write("wrote %d lines in %.2f s\n" % (lines, time.time() - start))
time.sleep(2)
EOF
lines=300000
printf '{"argv": ["python3", "agent.py", "%s"], "source": "bench", "workingDir": "%s", "env": {}}' \
  "$lines" "$work/log/workspace/bundle" >"$work/log/workspace/.orch/command.json"
env "${secrets[@]}" ORCH_SECRET_NAMES="$(IFS=,; echo "${names[*]}")" ORCH_WORKSPACE="$work/log/workspace" \
  ORCH_STATUS_DIR="$work/log/status" ORCH_TERMINATION_LOG="$work/log/termination" \
  "$ORCH_POD" supervise >"$work/log/out" 2>"$work/log/err" &
supervisor=$!
rss_samples=()
while ! grep -q "wrote" "$work/log/err" 2>/dev/null; do
  rss_samples+=("$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$supervisor/status")"); sleep 0.5
done
ticks="$(awk '{ print $14 + $15 }' "/proc/$supervisor/stat")"
wait "$supervisor" || true
per_line="$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$lines" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')"
masked="$(grep -c '\[REDACTED\]' "$work/log/out")"
leaked="$(grep -c 'secret-value-' "$work/log/out" || true)"
rate="$(grep -o 'wrote.*' "$work/log/err")"
bytes="$(stat -c %s "$work/log/out")"

# median_max COLUMN: "median max" of a column of $work/starts.
median_max() { cut -d' ' -f"$1" "$work/starts" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[NR] }'; }
read -r gw_p50 gw_max < <(median_max 1)
read -r agent_p50 agent_max < <(median_max 2)
cat <<EOF

Per-pod benchmark ($(nproc) cores, $PODS podman pods, images localhost/orch-{runner,gateway}:$TAG)
Start (median / max over the pods):
  gateway container start -> /health answers      $gw_p50 / $gw_max ms   (includes curl's 2 ms polling)
  agent container start -> status running          $agent_p50 / $agent_max ms
Overhead per pod (gateway + supervisor), $PODS pods idle:
  PSS $(mib "$idle_pss" "$PODS") per pod (gateway $(mib "$gateway_pss"), supervisor $(mib "$supervisor_pss") in pod 1), RSS $(mib "$idle_rss" "$PODS") per pod
  runtime per pod (pause + conmon x3): PSS $(mib "$runtime_pss" "$PODS"), RSS $(mib "$runtime_rss" "$PODS")
One pod's overhead under load (the agent is Python, so the rate is the agent's):
  100 connections   $under_100   ($(awk '/Requests\/sec/ { print $2 }' "$work/wrk-100") req/s)
  1,000 connections $during_burst   ($(awk '/Requests\/sec/ { print $2 }' "$work/wrk-1000") req/s)
  after the burst   ${after[*]}
Supervisor, $lines lines with 20 secrets ($(mib $((bytes / 1024))) of output; $rate):
  CPU per line $per_line us (user + system); $masked lines masked, $leaked secrets leaked
  RSS samples every 0.5 s: $(printf '%s ' "${rss_samples[@]}")KiB
EOF
