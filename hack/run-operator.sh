#!/usr/bin/env bash
# `make run`: runs the operator against the cluster KUBECONFIG names when it answers, otherwise against a
# local control plane (etcd + kube-apiserver + kube-controller-manager from hack/kube-binaries.sh), where it
# also applies an example and prints the kubectl commands to look at it.
set -euo pipefail
cd "$(dirname "$0")/.."

operator=(java -jar operator/target/quarkus-app/quarkus-run.jar)
kube_bin="${ORCH_KUBE_BIN:?set ORCH_KUBE_BIN (make run does)}"
kubectl="$kube_bin/kubectl"

if [[ -n "${KUBECONFIG:-}" || -f "$HOME/.kube/config" ]] && "$kubectl" version --request-timeout=5s >/dev/null 2>&1; then
  echo "orch-operator: using the cluster in ${KUBECONFIG:-$HOME/.kube/config} ($("$kubectl" config current-context))"
  "$kubectl" apply --server-side --field-manager=orch-operator-install -f crds/
  exec "${operator[@]}"
fi

echo "orch-operator: no reachable cluster in KUBECONFIG; starting a local control plane"
state=.orch-local
kubeconfig="$PWD/$state/kubeconfig"
rm -f "$kubeconfig"
java -Dorch.repo.dir="$PWD" -cp "local-cluster/target/classes:$(cat local-cluster/target/classpath.txt)" \
  dev.orch.localcluster.LocalClusterMain "${operator[@]}" &
main=$!
# LocalClusterMain stops the operator and the control plane when it is told to stop.
trap 'kill "$main" 2>/dev/null || true; wait "$main" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM

# Waits up to $1 seconds for the command after it to succeed, giving up early when LocalClusterMain (and with
# it the operator) has exited.
await() {
  local seconds=$1; shift
  for _ in $(seq 1 "$seconds"); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$main" 2>/dev/null || { echo "orch-operator: the local control plane or the operator stopped; see above" >&2; exit 1; }
    sleep 1
  done
  return 1
}
k() { KUBECONFIG="$kubeconfig" "$kubectl" "$@"; }

await 300 test -f "$kubeconfig" || { echo "orch-operator: the local control plane did not come up within 5 minutes" >&2; exit 1; }
example=examples/discord-bot
k apply -k "$example" >/dev/null
# The operator has reconciled once the service reports why it cannot start yet: its token is missing.
await 180 k wait --for=condition=Stalled agentservice/discord-bot --timeout=1s ||
  { echo "orch-operator: discord-bot got no status within 3 minutes; see the operator's log above" >&2; exit 1; }
cat <<EOF_HELP

orch-operator is running against the local control plane and has reconciled $example.
In another terminal:

  export KUBECONFIG=$kubeconfig PATH=$kube_bin:\$PATH
  kubectl get orch                                   # discord-bot: state failed, its token is missing
  kubectl describe agentservice discord-bot          # Stalled / MissingSecrets names DISCORD_BOT_TOKEN
  kubectl create secret generic orch-secrets --from-literal=DISCORD_BOT_TOKEN=not-a-real-token
  kubectl get deployment discord-bot                 # deployed as soon as the key exists (no Service: no HTTP port)
  kubectl apply -k examples/                         # every other example

Stop with Ctrl-C (the control plane and its data go away with it).
EOF_HELP
wait "$main"
