#!/usr/bin/env bash
# Copies cert-manager's CustomResourceDefinitions (deploy/crds/*.yaml, generated from its API types) out of the
# github.com/cert-manager/cert-manager Go module, which the Go module proxy serves, into a cache keyed by version.
# Tests install them to play a cluster with cert-manager; a warm cache makes this a no-op.
# Prints the directory holding the CRDs on its last line.
set -euo pipefail

CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-1.21.2}"
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
CRD_DIR="$CACHE_ROOT/cert-manager-v${CERT_MANAGER_VERSION}/crds"

if compgen -G "$CRD_DIR/*.yaml" >/dev/null; then
  echo "$CRD_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "cert-manager-crds: Go is required to fetch cert-manager's module; install Go ≥ 1.26" >&2; exit 1; }
export GOTOOLCHAIN=local
module="github.com/cert-manager/cert-manager"
echo "cert-manager-crds: fetching ${module} v${CERT_MANAGER_VERSION}" >&2
info="$(go mod download -json "${module}@v${CERT_MANAGER_VERSION}")" || { echo "$info" >&2; exit 1; }
dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$info")"
compgen -G "$dir/deploy/crds/*.yaml" >/dev/null \
  || { echo "cert-manager-crds: no deploy/crds/*.yaml in $dir; this version ships its CRDs elsewhere" >&2; exit 1; }

mkdir -p "$CRD_DIR.partial"
cp "$dir"/deploy/crds/*.yaml "$CRD_DIR.partial/"
rm -rf "$CRD_DIR"
mv "$CRD_DIR.partial" "$CRD_DIR"
echo "cert-manager-crds: $(ls "$CRD_DIR" | wc -l) CRDs in $CRD_DIR" >&2
echo "$CRD_DIR"
