#!/usr/bin/env bash
# Builds cert-manager's certificate controllers (hack/cert-manager-controller: a small main over the
# github.com/cert-manager/cert-manager module, whose own controller main is a nested module the Go module
# proxy does not serve) and caches the binary by cert-manager version and by the main's content.
# Tests run it against the local control plane to issue real certificates. A cold build takes ~10 minutes.
# Prints the directory holding `cert-manager-controller` on its last line.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/hack/cert-manager-controller"
version="$(sed -n 's/^require github.com\/cert-manager\/cert-manager \(v[0-9.]*\)$/\1/p' "$src/go.mod")"
[[ -n "$version" ]] || { echo "cert-manager-controller: no cert-manager requirement in $src/go.mod" >&2; exit 1; }
digest="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)"
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
BIN_DIR="$CACHE_ROOT/cert-manager-controller-${version}-${digest}/bin"

if [[ -x "$BIN_DIR/cert-manager-controller" ]]; then
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "cert-manager-controller: Go is required; install Go ≥ 1.26" >&2; exit 1; }
echo "cert-manager-controller: building cert-manager ${version}'s controllers; a cold build takes about 10 minutes" >&2
mkdir -p "$BIN_DIR.partial"
(cd "$src" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
  go build -trimpath -ldflags "-s -w" -o "$BIN_DIR.partial/cert-manager-controller" .)
rm -rf "$BIN_DIR"
mv "$BIN_DIR.partial" "$BIN_DIR"
echo "cert-manager-controller: ready in $BIN_DIR" >&2
echo "$BIN_DIR"
