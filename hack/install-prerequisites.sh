#!/usr/bin/env bash
# Installs the system packages the build and tests need, only when something is missing.
# Go, a JDK 17 and a Maven 3.x are expected on the machine (see README.md, Prerequisites).
set -euo pipefail

# podman and debootstrap build the images; runc, nftables, iptables and iproute2 run the local node; openssl makes
# the client certificates of the plugin's tests.
packages=(podman runc debootstrap nftables iptables iproute2 openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-prerequisites: installing ${missing[*]}" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  # Wait for a dpkg lock held by another apt run (unattended upgrades, a parallel install) instead of failing.
  lock_wait=(-o DPkg::Lock::Timeout=600)
  $sudo apt-get "${lock_wait[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get "${lock_wait[@]}" install -y -qq "${missing[@]}" >/dev/null
fi

for tool in go java; do
  command -v "$tool" >/dev/null || { echo "install-prerequisites: $tool is required; see README.md, Prerequisites" >&2; exit 1; }
done
