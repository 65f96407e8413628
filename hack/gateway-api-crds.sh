#!/usr/bin/env bash
# The Gateway API CRDs (standard channel) from the Go module sigs.k8s.io/gateway-api, cached by version like
# hack/kube-binaries.sh: tests install them to check HTTPRoutes on a real API server. A warm cache is a no-op.
# Prints the directory holding the CRD files on its last line.
set -euo pipefail

GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-1.2.1}"
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
CRD_DIR="$CACHE_ROOT/gateway-api-v${GATEWAY_API_VERSION}/crds"

if compgen -G "$CRD_DIR/*.yaml" >/dev/null; then
  echo "$CRD_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "gateway-api-crds: Go is required to fetch the module; install Go ≥ 1.26" >&2; exit 1; }
export GOTOOLCHAIN=local
info="$(go mod download -json "sigs.k8s.io/gateway-api@v${GATEWAY_API_VERSION}")" || { echo "$info" >&2; exit 1; }
dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")"
[[ -d "$dir/config/crd/standard" ]] || { echo "gateway-api-crds: no config/crd/standard in $dir" >&2; exit 1; }
mkdir -p "$CRD_DIR.partial"
cp "$dir"/config/crd/standard/*.yaml "$CRD_DIR.partial/"
rm -rf "$CRD_DIR"
mv "$CRD_DIR.partial" "$CRD_DIR"
echo "gateway-api-crds: v${GATEWAY_API_VERSION} in $CRD_DIR" >&2
echo "$CRD_DIR"
