#!/usr/bin/env bash
# `make run`: runs the operator against the cluster KUBECONFIG names when it answers, otherwise against a
# local control plane (etcd + kube-apiserver + kube-controller-manager from hack/kube-binaries.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

operator=(java -jar operator/target/quarkus-app/quarkus-run.jar)
kubectl="${ORCH_KUBE_BIN:?set ORCH_KUBE_BIN (make run does)}/kubectl"

if [[ -n "${KUBECONFIG:-}" || -f "$HOME/.kube/config" ]] && "$kubectl" version --request-timeout=5s >/dev/null 2>&1; then
  echo "orch-operator: using the cluster in ${KUBECONFIG:-$HOME/.kube/config} ($("$kubectl" config current-context))"
  "$kubectl" apply --server-side --field-manager=orch-operator-install -f crds/
  exec "${operator[@]}"
fi

echo "orch-operator: no reachable cluster in KUBECONFIG; starting a local control plane"
exec java -Dorch.repo.dir="$PWD" -cp "local-cluster/target/classes:$(cat local-cluster/target/classpath.txt)" \
  dev.orch.localcluster.LocalClusterMain "${operator[@]}"
