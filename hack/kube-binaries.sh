#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kubectl and etcd from the Go module proxy
# (no registry reachable from our build machines serves them as binaries) and caches them by version.
# A warm cache makes this a no-op. Prints the directory holding the binaries on its last line.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.36.3}"
# The etcd release Kubernetes itself pins for this version (go.mod of k8s.io/kubernetes).
ETCD_VERSION="${ETCD_VERSION:-3.6.8}"
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
BIN_DIR="$CACHE_ROOT/kube-v${K8S_VERSION}-etcd-v${ETCD_VERSION}/bin"
BINARIES=(kube-apiserver kube-controller-manager kubectl etcd)

all_present() {
  for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || return 1; done
}

if all_present; then
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "kube-binaries: Go is required to build the Kubernetes binaries; install Go ≥ 1.26" >&2; exit 1; }
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
# Two cores: let the Go compiler use both, but keep the linker runs sequential to bound memory.
minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"
staging_version="v0.${minor}.${K8S_VERSION##*.}"

work="$CACHE_ROOT/build/kube-v${K8S_VERSION}"
mkdir -p "$work/kube" "$work/etcd" "$BIN_DIR.partial"

log() { echo "kube-binaries: $*" >&2; }

# --- Kubernetes: a consumer module that pins every k8s.io staging module to the matching v0.Y.Z ---
if [[ ! -x "$BIN_DIR.partial/kubectl" || ! -x "$BIN_DIR.partial/kube-apiserver" || ! -x "$BIN_DIR.partial/kube-controller-manager" ]]; then
  cd "$work/kube"
  go mod download -json "k8s.io/kubernetes@v${K8S_VERSION}" > kubernetes.json
  upstream_mod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' kubernetes.json)"
  go_line="$(grep -m1 '^go ' "$upstream_mod")"
  {
    echo "module orch.dev/kube-binaries"
    echo
    echo "$go_line"
    echo
    echo "require k8s.io/kubernetes v${K8S_VERSION}"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\t\1 => \1 '"$staging_version"'#p' "$upstream_mod"
    echo ")"
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "resolving k8s.io/kubernetes v${K8S_VERSION} (staging modules at ${staging_version})"
  go mod tidy -e >/dev/null 2>tidy.log || { cat tidy.log >&2; exit 1; }
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/client-go/pkg/version.gitVersion=v${K8S_VERSION}"
  for b in kube-apiserver kube-controller-manager kubectl; do
    log "building $b v${K8S_VERSION}"
    go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR.partial/$b" "k8s.io/kubernetes/cmd/$b"
  done
fi

# --- etcd: its server module carries replace directives, so it also needs a consumer module ---
if [[ ! -x "$BIN_DIR.partial/etcd" ]]; then
  cd "$work/etcd"
  cat > go.mod <<MOD
module orch.dev/etcd-binary

go 1.24

require go.etcd.io/etcd/server/v3 v${ETCD_VERSION}
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "resolving etcd v${ETCD_VERSION}"
  go mod tidy -e >/dev/null 2>tidy.log || { cat tidy.log >&2; exit 1; }
  log "building etcd v${ETCD_VERSION}"
  go build -trimpath -ldflags "-s -w" -o "$BIN_DIR.partial/etcd" go.etcd.io/etcd/server/v3
fi

rm -rf "$BIN_DIR"
mv "$BIN_DIR.partial" "$BIN_DIR"
log "binaries ready in $BIN_DIR"
echo "$BIN_DIR"
