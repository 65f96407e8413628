#!/usr/bin/env bash
# Builds the images with podman:
#   localhost/debian-base:bookworm    debootstrapped once from the machine's own Debian mirror
#   localhost/orch-runner:$TAG        runner-image/Containerfile (prepare's jars and the orch-pod binary)
#   localhost/orch-gateway:$TAG       gateway-sidecar/Containerfile (the orch-pod binary alone)
#   localhost/orch-operator:$TAG      operator/Containerfile (the Helm chart's default image)
# TAG is $ORCH_IMAGE_TAG, default 0.1.0 (what the operator and the Helm chart name); a different tag lets a
# development build stand beside the images others on the same machine use. The pod tests honour it too.
# Idempotent: an image is rebuilt only when the hash of its inputs (Containerfile, jars, binary, the files
# in the module's image/ directory, this script) differs from the one recorded in its label. No
# registry is needed (none is reachable here).
#
# Usage: hack/images.sh [--skip-package] [runner] [gateway] [operator]   (default: all three)
#   --skip-package  use the jars and the binary already in */target (the container tests call it this way,
#                   from inside Maven, for runner and gateway); without it the modules are packaged first
#                   (for gateway-sidecar that is hack/build-orch-pod.sh, a static release build).
# The last line on stdout is the containers.conf path; export it as CONTAINERS_CONF for other podman
# commands. It selects runc, because crun refuses to run on a host with cgroups in v1 "hybrid" mode, and
# lowers the containers' nofile/nproc ulimits, because podman's defaults are higher than a VM's own limits
# and a container may not raise them (every start fails with "setrlimit ... Operation not permitted").
set -euo pipefail
cd "$(dirname "$0")/.."

TAG="${ORCH_IMAGE_TAG:-0.1.0}"
BINARY=gateway-sidecar/target/x86_64-unknown-linux-gnu/release/orch-pod  # hack/build-orch-pod.sh
BASE=localhost/debian-base:bookworm
HASH_LABEL=dev.orch.inputs-hash
CACHE_ROOT="${ORCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/orch-operator}"
mkdir -p "$CACHE_ROOT"
log() { echo "images: $*" >&2; }

export CONTAINERS_CONF="$CACHE_ROOT/containers.conf"
conf_text='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"'
[[ -f "$CONTAINERS_CONF" && "$(cat "$CONTAINERS_CONF")" == "$conf_text" ]] || printf '%s\n' "$conf_text" >"$CONTAINERS_CONF"

command -v podman >/dev/null || { log "podman is missing; run hack/install-prerequisites.sh"; exit 1; }

# First Debian mirror configured for apt on this machine (deb822 .sources or one-line .list files),
# skipping the security archive, which only carries updates.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list; do
    [[ -f "$f" ]] || continue
    awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
  done
}

build_base() {
  if podman image exists "$BASE"; then
    return
  fi
  command -v debootstrap >/dev/null || { log "debootstrap is missing; run hack/install-prerequisites.sh"; exit 1; }
  local mirror
  mirror="$(debian_mirror | grep -v -- '-security' | head -n1)"
  [[ -n "$mirror" ]] || { log "no Debian mirror found in /etc/apt/sources.list.d; configure apt first"; exit 1; }
  local rootfs
  rootfs="$(mktemp -d "$CACHE_ROOT/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' RETURN
  log "debootstrapping $BASE from $mirror (about half a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$CACHE_ROOT/debootstrap.log" 2>&1 \
    || { log "debootstrap failed; see $CACHE_ROOT/debootstrap.log"; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import - "$BASE" >/dev/null
}

# build_image MODULE IMAGE INPUT...: builds MODULE/Containerfile with MODULE as the context; the INPUTs
# (files and directories the Containerfile copies) are hashed with it.
build_image() {
  local module=$1 image=$2 input hash
  shift 2
  for input in "$@"; do
    [[ -e "$input" ]] || { log "$input is missing; run without --skip-package, or 'hack/mvn -pl $module package'"; exit 1; }
  done
  hash="$( (sha256sum hack/images.sh "$module/Containerfile"
            find "$@" -type f -print0 | sort -z | xargs -0 sha256sum) \
    | awk '{print $1}' | sha256sum | cut -c1-32)"
  if [[ "$(podman image inspect --format "{{index .Labels \"$HASH_LABEL\"}}" "$image" 2>/dev/null || true)" == "$hash" ]]; then
    log "$image is up to date"
    return
  fi
  log "building $image"
  podman build --quiet --label "$HASH_LABEL=$hash" -t "$image" -f "$module/Containerfile" "$module" >/dev/null
}

package=true
if [[ "${1:-}" == "--skip-package" ]]; then
  package=false
  shift
fi
wanted=("$@")
((${#wanted[@]})) || wanted=(runner gateway operator)
modules=()
for name in "${wanted[@]}"; do
  case "$name" in
    runner) modules+=(runner-image gateway-sidecar) ;;
    gateway) modules+=(gateway-sidecar) ;;
    operator) modules+=(operator) ;;
    *) log "unknown image '$name'; choose from runner, gateway, operator"; exit 2 ;;
  esac
done
if $package; then
  hack/mvn -B -q -pl "$(IFS=,; printf '%s\n' "${modules[@]}" | sort -u | paste -sd,)" -am package -DskipTests >&2
fi
build_base
for name in "${wanted[@]}"; do
  case "$name" in
    runner)
      # The build context is runner-image/, so the binary is staged into it.
      [[ -f "$BINARY" ]] || { log "$BINARY is missing; run without --skip-package, or 'hack/mvn -pl gateway-sidecar package'"; exit 1; }
      cp -p "$BINARY" runner-image/target/orch-pod
      build_image runner-image "localhost/orch-runner:$TAG" runner-image/target/orch-runner.jar runner-image/target/lib \
        runner-image/target/orch-pod runner-image/image ;;
    gateway) build_image gateway-sidecar "localhost/orch-gateway:$TAG" "$BINARY" ;;
    operator) build_image operator "localhost/orch-operator:$TAG" operator/target/quarkus-app ;;
  esac
done
echo "$CONTAINERS_CONF"
