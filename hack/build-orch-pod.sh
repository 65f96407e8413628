#!/usr/bin/env bash
# Builds orch-pod (gateway-sidecar/) for the images: a release build linked statically against glibc
# (static-pie), so the one file runs on `scratch` (the gateway image) and in any image bundle the supervisor
# is copied into, whatever C library that image has. Only the release binary is static: `cargo test` and
# clippy build for the host as usual (proc-macros cannot be built with crt-static).
# Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/../gateway-sidecar"
TARGET=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked --target "$TARGET" "$@" >&2
echo "gateway-sidecar/target/$TARGET/release/orch-pod"
