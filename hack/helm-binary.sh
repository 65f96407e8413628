#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy (no registry reachable from our build machines serves it as a
# binary) and caches it by version, like hack/kube-binaries.sh. A warm cache makes this a no-op.
# Prints the directory holding `helm` on its last line.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-3.22.0}"
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
BIN_DIR="$CACHE_ROOT/helm-v${HELM_VERSION}/bin"

if [[ -x "$BIN_DIR/helm" ]]; then
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "helm-binary: Go is required to build helm; install Go ≥ 1.26" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0
log() { echo "helm-binary: $*" >&2; }

module="helm.sh/helm/v${HELM_VERSION%%.*}"
log "resolving ${module} v${HELM_VERSION}"
info="$(go mod download -json "${module}@v${HELM_VERSION}")" || { echo "$info" >&2; exit 1; }
gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$info")"
# helm's own Makefile stamps the Kubernetes version it was built against (from its client-go); without it
# `helm template` and `helm lint` assume an old default and charts requiring a recent kubeVersion fail.
client_go="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -n1)"
[[ -n "$client_go" ]] || { echo "helm-binary: no k8s.io/client-go requirement in $gomod" >&2; exit 1; }
pkg="${module}"
ldflags="-s -w -X ${pkg}/internal/version.version=v${HELM_VERSION} -X ${pkg}/internal/version.gitTreeState=clean"
for p in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X ${pkg}/${p}.k8sVersionMajor=1 -X ${pkg}/${p}.k8sVersionMinor=${client_go}"
done

mkdir -p "$BIN_DIR.partial"
log "building helm v${HELM_VERSION} (Kubernetes 1.${client_go} client); a cold build takes a few minutes"
# `go install pkg@version` builds exactly helm's own go.sum, outside any local module.
GOBIN="$BIN_DIR.partial" go install -trimpath -ldflags "$ldflags" "${module}/cmd/helm@v${HELM_VERSION}"
"$BIN_DIR.partial/helm" version --short >&2
rm -rf "$BIN_DIR"
mv "$BIN_DIR.partial" "$BIN_DIR"
log "helm ready in $BIN_DIR"
echo "$BIN_DIR"
