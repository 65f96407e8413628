#!/usr/bin/env bash
# A real single Kubernetes node on this machine, joined to a running API server: containerd (CRI, overlayfs,
# runc), the kubelet, kube-scheduler and kube-proxy (nftables mode), with a CNI bridge network.
#
#   hack/local-node.sh up KUBECONFIG WORKDIR   start the node, wait until it is Ready
#   hack/local-node.sh load IMAGE...           copy podman images into the node's containerd (k8s.io namespace)
#   hack/local-node.sh down                    stop everything, undo every change to the host
#   hack/local-node.sh check                   print what a node left on this host (nothing when clean)
#   hack/local-node.sh ip                      print the address the node takes (the API server advertises it)
#
# One node per host: some of its paths cannot be moved and its sysctls are host-wide. The caller holds the
# host-wide lock (local-cluster's LocalNode does); this script records what it starts and changes in
# $RECORD so that `down` (and the next `up`, after a killed run) can undo it.
#
# Needs: root, runc, nftables, iproute2 (hack/install-prerequisites.sh), the binaries of
# hack/node-binaries.sh (ORCH_NODE_BIN) and kubectl (ORCH_KUBE_BIN).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

RECORD=/run/orch-local-node
NODE_NAME=orch-node
POD_CIDR=10.244.0.0/24
CLUSTER_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
BRIDGE=orch0
PAUSE_IMAGE=localhost/orch-pause:1
# The kubelet's crash back-off tops out here instead of at 5 minutes, so a crash loop shows within a minute.
MAX_RESTART_PERIOD=5s
# Changed by the kubelet (overcommit, panic) and kube-proxy (conntrack, route_localnet), or needed by pods
# on a bridge (forwarding, bridged traffic through netfilter for Service hairpin).
SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward
  net.bridge.bridge-nf-call-iptables net.ipv4.conf.all.route_localnet
  net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established
  net.netfilter.nf_conntrack_tcp_timeout_close_wait)

log() { echo "local-node: $*" >&2; }
die() { log "$*"; exit 1; }

node_ip() {
  # The kubelet refuses a loopback node IP; the address of the default route's interface stays on this host.
  local dev
  dev="$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')"
  [[ -n "$dev" ]] || die "no default route: the node needs a non-loopback IPv4 address"
  ip -4 -o addr show dev "$dev" | awk '{split($4, a, "/"); print a[1]; exit}'
}

start() { # name, command...: runs a node process in its own session, logging to WORKDIR/NAME.log
  local name=$1; shift
  setsid "$@" >"$work/$name.log" 2>&1 </dev/null &
  echo "$! $name" >>"$RECORD/pids"
}

await() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    while read -r pid name; do
      kill -0 "$pid" 2>/dev/null || { log "$name exited while waiting for $what; last lines of $work/$name.log:"; tail -n 30 "$work/$name.log" >&2; exit 1; }
    done <"$RECORD/pids"
    sleep 0.5
  done
}

cmd_up() {
  local kubeconfig=$1
  work=$2
  [[ $(id -u) -eq 0 ]] || die "the node needs root (containerd, mounts, network); run as root"
  for tool in runc nft ip; do command -v "$tool" >/dev/null || die "$tool is missing; run hack/install-prerequisites.sh"; done
  bin="${ORCH_NODE_BIN:?set ORCH_NODE_BIN to the directory hack/node-binaries.sh prints}"
  kubectl="${ORCH_KUBE_BIN:?set ORCH_KUBE_BIN to the directory hack/kube-binaries.sh prints}/kubectl"
  [[ -e "$RECORD" ]] && { log "cleaning up after an earlier node that was not stopped"; cmd_down; }
  mkdir -p "$RECORD" "$work"
  work="$(cd "$work" && pwd)"
  echo "$work" >"$RECORD/workdir"
  : >"$RECORD/pids"
  for s in "${SYSCTLS[@]}"; do
    sysctl -n "$s" 2>/dev/null | sed "s|^|$s=|"
  done >"$RECORD/sysctls"
  [[ -d /var/lib/kubelet ]] || echo /var/lib/kubelet >>"$RECORD/created"
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

  local ip
  ip="$(node_ip)"
  # A copy in the work directory: every node process then names the work directory on its command line, which is
  # how `down` tells the processes it recorded from unrelated ones that reuse their PIDs.
  cp "$kubeconfig" "$work/kubeconfig"
  kubeconfig="$work/kubeconfig"
  write_configs "$kubeconfig" "$ip"
  PATH="$bin:$PATH" start containerd "$bin/containerd" --config "$work/containerd.toml"
  await 30 "containerd" "$bin/ctr" --address "$work/containerd/containerd.sock" version ||
    { tail -n 30 "$work/containerd.log" >&2; die "containerd did not answer within 30 s"; }
  import_pause_image
  start kubelet "$bin/kubelet" --config="$work/kubelet.yaml" --kubeconfig="$kubeconfig" \
    --root-dir="$work/kubelet" --cert-dir="$work/kubelet/pki" --hostname-override="$NODE_NAME" --node-ip="$ip" --v=1
  start kube-scheduler "$bin/kube-scheduler" --kubeconfig="$kubeconfig" --authentication-kubeconfig="$kubeconfig" \
    --authorization-kubeconfig="$kubeconfig" --leader-elect=false --bind-address=127.0.0.1 --secure-port=10259
  start kube-proxy "$bin/kube-proxy" --config="$work/kube-proxy.yaml"
  await 120 "the node to be Ready" "$kubectl" --kubeconfig="$kubeconfig" wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s ||
    die "node $NODE_NAME was not Ready within 120 s; logs in $work"
  log "node $NODE_NAME Ready at $ip (logs in $work)"
}

write_configs() {
  local kubeconfig=$1 ip=$2
  mkdir -p "$work/cni/net.d" "$work/containerd" "$work/kubelet/pki" "$work/pod-logs"
  cat >"$work/containerd.toml" <<EOF
version = 3
root = "$work/containerd/root"
state = "$work/containerd/state"
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/containerd.sock.ttrpc"
[plugins.'io.containerd.internal.v1.opt']
  path = "$work/containerd/opt"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
[plugins.'io.containerd.cri.v1.runtime']
  # Root here may not lower oom_score_adj; without this every sandbox fails to start.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$work/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$bin"]
    conf_dir = "$work/cni/net.d"
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
EOF
  cat >"$work/cni/net.d/10-orch.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "orch",
  "plugins": [
    {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$work/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  cat >"$work/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$work/containerd/containerd.sock
# This host runs cgroup v1 (hybrid); the kubelet refuses it unless told otherwise.
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: false
enforceNodeAllocatable: []
protectKernelDefaults: false
podLogsDir: $work/pod-logs
podCIDR: $POD_CIDR
address: $ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
authorization: {mode: AlwaysAllow}
# A test machine's disk must not evict pods or collect the images no registry could give back.
evictionHard: {memory.available: "50Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
crashLoopBackOff:
  maxContainerRestartPeriod: $MAX_RESTART_PERIOD
EOF
  cat >"$work/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
clusterCIDR: $CLUSTER_CIDR
hostnameOverride: $NODE_NAME
clientConnection: {kubeconfig: "$kubeconfig"}
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# Keep the host's nf_conntrack_max.
conntrack: {maxPerCore: 0}
EOF
}

ctr_() { "$bin/ctr" --address "$work/containerd/containerd.sock" -n k8s.io "$@"; }

import_pause_image() {
  local archive="$work/pause.tar" root="$work/pause-image"
  mkdir -p "$root"
  cp "$bin/orch-pause" "$root/pause"
  # An OCI image layout by hand: one layer holding /pause, no base image.
  python3 - "$root" "$archive" "$PAUSE_IMAGE" <<'PY'
import hashlib, io, json, sys, tarfile
root, archive, name = sys.argv[1:4]
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w") as t:
    t.add(f"{root}/pause", arcname="pause")
layer = layer.getvalue()
def digest(b): return "sha256:" + hashlib.sha256(b).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux",
    "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
    "rootfs": {"type": "layers", "diff_ids": [digest(layer)]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest(layer), "size": len(layer)}]}).encode()
index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": digest(manifest), "size": len(manifest), "annotations": {"io.containerd.image.name": name}}]}).encode()
with tarfile.open(archive, "w") as t:
    for path, data in [("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'), ("index.json", index)] + \
            [("blobs/sha256/" + digest(b)[7:], b) for b in (layer, config, manifest)]:
        info = tarfile.TarInfo(path); info.size = len(data); t.addfile(info, io.BytesIO(data))
PY
  ctr_ images import "$archive" 2>&1 >/dev/null | grep -v "DEPRECATION: The support for cgroup v1" >&2 || true
}

cmd_load() {
  work="$(cat "$RECORD/workdir" 2>/dev/null)" || die "no node is running; start one first"
  bin="${ORCH_NODE_BIN:?set ORCH_NODE_BIN to the directory hack/node-binaries.sh prints}"
  local image
  for image in "$@"; do
    podman image exists "$image" || die "podman has no image $image; build it with make images"
    podman save --format docker-archive "$image" | ctr_ images import - 2>&1 >/dev/null | grep -v "DEPRECATION: The support for cgroup v1" >&2 || true
    log "loaded $image"
  done
}

cmd_down() {
  [[ -e "$RECORD" ]] || return 0
  # Best effort from here on: every step runs even when an earlier one finds nothing to undo.
  set +e +o pipefail
  work="$(cat "$RECORD/workdir" 2>/dev/null || true)"
  # Kubelet first, so it stops restarting containers; then the pods' processes; then containerd.
  stop_recorded kubelet kube-scheduler kube-proxy
  if [[ -n "$work" && -d "$work/runc" ]]; then
    local id
    for id in $(runc --root "$work/runc/k8s.io" list -q 2>/dev/null); do
      runc --root "$work/runc/k8s.io" delete --force "$id" >/dev/null 2>&1 || true
    done
  fi
  stop_recorded containerd
  pkill -KILL -f "containerd-shim-runc-v2 .*-address $work/containerd/containerd.sock" 2>/dev/null || true
  if [[ -n "$work" && -f "$work/kube-proxy.yaml" && -n "${ORCH_NODE_BIN:-}" ]]; then
    "$ORCH_NODE_BIN/kube-proxy" --cleanup --config="$work/kube-proxy.yaml" >/dev/null 2>&1 || true
  fi
  nft list tables 2>/dev/null | awk '/kube-proxy/ {print $2, $3}' | while read -r family table; do nft delete table "$family" "$table"; done
  remove_node_iptables_rules
  ip link delete "$BRIDGE" 2>/dev/null || true
  if [[ -n "$work" ]]; then
    findmnt -rn -o TARGET | grep -F "$work/" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  remove_pod_cgroups
  rm -rf /var/lib/cni/results/orch-* /var/log/containers/*_* 2>/dev/null || true
  [[ -f "$RECORD/created" ]] && xargs -r rm -rf <"$RECORD/created"
  [[ -f "$RECORD/sysctls" ]] && sysctl -q -p "$RECORD/sysctls" >/dev/null 2>&1
  rm -rf "$RECORD"
  log "node stopped and host restored"
  # Last, since it takes a while (the node's image layers) and leaves nothing behind but files in a temp directory.
  [[ -n "$work" && -d "$work" && -z "${ORCH_KEEP_NODE_DIR:-}" ]] && rm -rf "$work"
  set -e -o pipefail
}

stop_recorded() {
  [[ -f "$RECORD/pids" ]] || return 0
  local pid name wanted
  for wanted in "$@"; do
    while read -r pid name; do
      [[ "$name" == "$wanted" ]] || continue
      [[ -n "$work" ]] && grep -qF "$work" "/proc/$pid/cmdline" 2>/dev/null || continue
      kill -TERM "$pid" 2>/dev/null || continue
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    done <"$RECORD/pids"
  done
}

remove_node_iptables_rules() {
  # The kubelet's chains (KUBE-FIREWALL, canaries) and CNI's (masquerading, portmap) outlive the processes that
  # made them; kube-proxy --cleanup has removed kube-proxy's own.
  local tool table chain rule
  for tool in iptables ip6tables; do
    for table in nat filter mangle; do
      "$tool" -t "$table" -S 2>/dev/null | grep -E '^-A .*(KUBE-|CNI-)' | sed 's/^-A/-D/' | while read -r rule; do
        eval "$tool -t $table $rule" 2>/dev/null
      done
      for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}'); do
        "$tool" -t "$table" -F "$chain" 2>/dev/null
      done
      for chain in $("$tool" -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}'); do
        "$tool" -t "$table" -X "$chain" 2>/dev/null
      done
    done
  done
}

remove_pod_cgroups() {
  # Without per-QoS cgroups the kubelet puts pods at the root of every hierarchy.
  local d
  for d in /sys/fs/cgroup/*/kubepods* /sys/fs/cgroup/kubepods*; do
    [[ -d "$d" ]] || continue
    find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

cmd_check() {
  local left=()
  [[ -e "$RECORD" ]] && left+=("the record $RECORD")
  ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("the bridge $BRIDGE")
  nft list tables 2>/dev/null | grep -q kube-proxy && left+=("kube-proxy's nftables tables")
  iptables-save 2>/dev/null | grep -qE '^:(KUBE-|CNI-)' && left+=("kubelet or CNI iptables chains")
  ip6tables-save 2>/dev/null | grep -qE '^:(KUBE-|CNI-)' && left+=("kubelet ip6tables chains")
  pgrep -f 'containerd-shim-runc-v2|/kubelet |kube-proxy|kube-scheduler' >/dev/null && left+=("node processes: $(pgrep -af 'containerd-shim-runc-v2|/kubelet |kube-proxy|kube-scheduler' | tr '\n' ';')")
  findmnt -rn -o TARGET | grep -q 'orch-node-' && left+=("mounts under an orch-node- directory")
  ls -d /sys/fs/cgroup/*/kubepods* >/dev/null 2>&1 && left+=("pod cgroups")
  if ((${#left[@]})); then
    printf 'left behind: %s\n' "${left[@]}"
    return 1
  fi
}

# Sourcing the script (for debugging one step) defines the functions without running a command.
[[ "${BASH_SOURCE[0]}" == "$0" ]] || return 0
case "${1:-}" in
  up) [[ $# -eq 3 ]] || die "usage: $0 up KUBECONFIG WORKDIR"; cmd_up "$2" "$3" ;;
  load) shift; cmd_load "$@" ;;
  down) cmd_down ;;
  check) cmd_check ;;
  ip) node_ip ;;
  *) die "usage: $0 up KUBECONFIG WORKDIR | load IMAGE... | down | check | ip" ;;
esac
