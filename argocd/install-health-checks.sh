#!/usr/bin/env bash
# Adds argocd/health.lua to Argo CD's argocd-cm as the health check of AgentService, Swarm and Schedule.
# Usage: argocd/install-health-checks.sh [ARGOCD_NAMESPACE]   (default: argocd)
set -euo pipefail
namespace="${1:-argocd}"
script="$(dirname "$0")/health.lua"
from_files=()
for kind in AgentService Swarm Schedule; do
  from_files+=("--from-file=resource.customizations.health.orch.dev_${kind}=${script}")
done
# A merge patch of only these three keys: the rest of argocd-cm stays as it is.
kubectl -n "$namespace" patch configmap argocd-cm --type merge --patch-file <(
  kubectl create configmap argocd-cm "${from_files[@]}" --dry-run=client -o json)
echo "orch.dev health checks installed in $namespace/argocd-cm"
