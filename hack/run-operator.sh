#!/usr/bin/env bash
# `make run`: runs the operator against the cluster KUBECONFIG names when it answers, otherwise against a local
# cluster: etcd + kube-apiserver + kube-controller-manager and a real node (containerd, kubelet, kube-scheduler,
# kube-proxy; hack/local-node.sh), where it deploys examples/hello-http and prints the commands to look at it.
#
# ORCH_OPERATOR_PORT (default 8080): the operator's HTTP port (metrics, health, schedule webhooks), on loopback
# when the cluster is local.
set -euo pipefail
cd "$(dirname "$0")/.."

operator=(java -jar operator/target/quarkus-app/quarkus-run.jar)
kube_bin="${ORCH_KUBE_BIN:?set ORCH_KUBE_BIN (make run does)}"
kubectl="$kube_bin/kubectl"
port="${ORCH_OPERATOR_PORT:-8080}"
export QUARKUS_HTTP_PORT="$port"

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "orch-operator: port $port is taken; choose another with ORCH_OPERATOR_PORT=PORT make run" >&2
  exit 1
fi

if [[ -n "${KUBECONFIG:-}" || -f "$HOME/.kube/config" ]] && "$kubectl" version --request-timeout=5s >/dev/null 2>&1; then
  echo "orch-operator: using the cluster in ${KUBECONFIG:-$HOME/.kube/config} ($("$kubectl" config current-context))"
  "$kubectl" apply --server-side --field-manager=orch-operator-install -f crds/
  exec "${operator[@]}"
fi

echo "orch-operator: no reachable cluster in KUBECONFIG; starting a local cluster (control plane and node)"
state=.orch-local
kubeconfig="$PWD/$state/kubeconfig"
rm -f "$kubeconfig"
export QUARKUS_HTTP_HOST=127.0.0.1
export ORCH_NODE_IMAGES="localhost/orch-runner:0.1.0 localhost/orch-gateway:0.1.0"
java -Dorch.repo.dir="$PWD" -cp "local-cluster/target/classes:$(cat local-cluster/target/classpath.txt)" \
  dev.orch.localcluster.LocalClusterMain "${operator[@]}" &
main=$!
stopped() {
  trap - EXIT INT TERM
  kill "$main" 2>/dev/null || true
  wait "$main" 2>/dev/null || true
  echo "orch-operator: stopped (the local cluster and its data are gone)"
  exit 0
}
trap stopped EXIT INT TERM

# Waits up to $1 seconds for the command after it to succeed, giving up early when LocalClusterMain (and with
# it the operator) has exited.
await() {
  local seconds=$1; shift
  for _ in $(seq 1 "$seconds"); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$main" 2>/dev/null || { echo "orch-operator: the local cluster or the operator stopped; see above" >&2; exit 1; }
    sleep 1
  done
  return 1
}
k() { KUBECONFIG="$kubeconfig" "$kubectl" "$@"; }

await 420 test -f "$kubeconfig" || { echo "orch-operator: the local cluster did not come up within 7 minutes" >&2; exit 1; }
show="export KUBECONFIG=$kubeconfig PATH=$kube_bin:\$PATH"
if [[ -f "$state/node-failure" ]]; then
  k apply -k examples/hello-http >/dev/null
  await 180 k wait --for=condition=Stalled agentservice/hello-http --timeout=1s ||
    { echo "orch-operator: hello-http got no status within 3 minutes; see the operator's log above" >&2; exit 1; }
  cat <<EOF_HELP

orch-operator is running against a local control plane WITHOUT a node: $(cat "$state/node-failure")
Pods are created but never run. In another terminal:

  $show
  kubectl get orch                                   # hello-http: failed, its HELLO_TOKEN is missing
  kubectl describe agentservice hello-http           # Stalled / MissingSecrets names the key and the fix
  kubectl create secret generic orch-secrets --from-literal=HELLO_TOKEN=not-a-real-token
  kubectl get deployment,service hello-http          # deployed as soon as the key exists
  kubectl apply -k examples/                         # every other example

Stop with Ctrl-C.
EOF_HELP
  wait "$main"
fi

k create secret generic orch-secrets --from-literal=HELLO_TOKEN=hello-token-value >/dev/null
k apply -k examples/hello-http >/dev/null
await 300 k wait --for=condition=Ready agentservice/hello-http --timeout=1s ||
  { echo "orch-operator: hello-http was not Ready within 5 minutes; see the operator's log above and" \
    "KUBECONFIG=$kubeconfig kubectl describe agentservice,pods" >&2; exit 1; }
cat <<EOF_HELP

orch-operator is running on a local cluster with one node, and examples/hello-http is Ready.
In another terminal:

  $show
  kubectl get orch                                   # hello-http: running, 1 ready
  ip=\$(kubectl get service hello-http -o jsonpath='{.spec.clusterIP}')
  curl http://\$ip/hi                                # the agent answers through its gateway (X-Forwarded-* added)
  curl http://\$ip/health                            # the gateway's own health of the agent
  kubectl logs deployment/hello-http -c agent        # the HELLO_TOKEN value shows as [REDACTED]
  kubectl patch agentservice hello-http --type=merge -p '{"spec":{"env":[{"name":"GREETING","value":"hi again"}]}}'
  kubectl rollout status deployment/hello-http && curl http://\$ip/hi     # a fresh pod with the new value
  kubectl apply -k examples/                         # every other example (most need keys in orch-secrets)

Webhook schedules are called at http://127.0.0.1:$port/webhooks/NAMESPACE/SCHEDULE/TOKEN, for example:
  kubectl wait --for=condition=Ready schedule/deploy-hook
  curl -X POST -d '{}' http://127.0.0.1:$port/webhooks/default/deploy-hook/\$(kubectl get secret deploy-hook-webhook -o jsonpath='{.data.token}' | base64 -d)

Stop with Ctrl-C (the cluster, its node and their data go away with it).
EOF_HELP
wait "$main"
