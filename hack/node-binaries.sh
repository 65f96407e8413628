#!/usr/bin/env bash
# Builds what a local Kubernetes node needs, from Go modules (no registry reachable from our build
# machines serves them as binaries), and caches it by version:
#   kubelet, kube-scheduler, kube-proxy   k8s.io/kubernetes, in hack/kube-binaries.sh's consumer module
#   containerd, containerd-shim-runc-v2, ctr
#   the CNI plugins bridge, host-local, loopback, portmap
#   orch-pause                            the pod sandbox's process (local-cluster/node/pause), static
# runc comes from Debian (hack/install-prerequisites.sh); crun fails on cgroup v1 hybrid hosts.
# A warm cache makes this a no-op. Prints the directory holding the binaries on its last line.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

K8S_VERSION="${K8S_VERSION:-1.36.3}"
CONTAINERD_VERSION="${CONTAINERD_VERSION:-2.4.2}"
CNI_PLUGINS_VERSION="${CNI_PLUGINS_VERSION:-1.10.0}"
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
pause_hash="$(sha256sum "$repo/local-cluster/node/pause/main.go" | cut -c1-12)"
BIN_DIR="$CACHE_ROOT/node-k8s-v${K8S_VERSION}-containerd-v${CONTAINERD_VERSION}-cni-v${CNI_PLUGINS_VERSION}-pause-${pause_hash}/bin"
BINARIES=(kubelet kube-scheduler kube-proxy containerd containerd-shim-runc-v2 ctr bridge host-local loopback portmap orch-pause)

all_present() {
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}
if all_present; then
  echo "$BIN_DIR"
  exit 0
fi

log() { echo "node-binaries: $*" >&2; }
command -v go >/dev/null || { log "Go is required to build the node binaries; install Go ≥ 1.26"; exit 1; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
partial="$BIN_DIR.partial"
mkdir -p "$partial"

# --- kubelet, kube-scheduler, kube-proxy: the consumer module hack/kube-binaries.sh resolves ---
if [[ ! -x "$partial/kubelet" || ! -x "$partial/kube-scheduler" || ! -x "$partial/kube-proxy" ]]; then
  "$repo/hack/kube-binaries.sh" >/dev/null
  module="$CACHE_ROOT/build/kube-v${K8S_VERSION}/kube"
  [[ -f "$module/go.mod" ]] || { log "$module/go.mod is missing; remove $CACHE_ROOT/kube-v${K8S_VERSION}-* and rerun"; exit 1; }
  cd "$module"
  cat > node_tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
  go mod tidy -e >/dev/null 2>node-tidy.log || { cat node-tidy.log >&2; exit 1; }
  minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor}"
  for b in kubelet kube-scheduler kube-proxy; do
    log "building $b v${K8S_VERSION}"
    go build -trimpath -ldflags "$ldflags" -o "$partial/$b" "k8s.io/kubernetes/cmd/$b"
  done
fi

# --- containerd and the CNI plugins carry no replace directives: `go install pkg@version` builds them ---
install_from_module() {
  local version=$1; shift
  local pkg
  for pkg in "$@"; do
    [[ -x "$partial/${pkg##*/}" ]] && continue
    log "building ${pkg##*/} ${version}"
    GOBIN="$partial" go install -trimpath -ldflags "-s -w" -tags "no_btrfs no_devmapper no_zfs" "$pkg@$version"
  done
}
install_from_module "v${CONTAINERD_VERSION}" \
  github.com/containerd/containerd/v2/cmd/containerd \
  github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
  github.com/containerd/containerd/v2/cmd/ctr
install_from_module "v${CNI_PLUGINS_VERSION}" \
  github.com/containernetworking/plugins/plugins/main/bridge \
  github.com/containernetworking/plugins/plugins/ipam/host-local \
  github.com/containernetworking/plugins/plugins/main/loopback \
  github.com/containernetworking/plugins/plugins/meta/portmap

if [[ ! -x "$partial/orch-pause" ]]; then
  log "building orch-pause"
  (cd "$repo/local-cluster/node/pause" && go build -trimpath -ldflags "-s -w" -o "$partial/orch-pause" .)
fi

rm -rf "$BIN_DIR"
mv "$partial" "$BIN_DIR"
log "binaries ready in $BIN_DIR"
echo "$BIN_DIR"
