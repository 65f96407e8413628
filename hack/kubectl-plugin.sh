#!/usr/bin/env bash
# Assembles the kubectl-orch plugin from the kubectl-plugin module's package output (`make plugin`):
#   kubectl-plugin/target/kubectl-orch/           kubectl-orch (the launcher), kubectl_complete-orch,
#                                                 lib/ (kubectl-orch.jar and its dependencies), cds/ (the first AppCDS archive)
#   kubectl-plugin/target/kubectl-orch-VERSION.tar.gz   the release tarball
#   kubectl-plugin/target/krew/orch.yaml          a Krew manifest for that tarball (sha256 computed here, no network)
# PLUGIN_RELEASE_URL is where the tarball will be published (the manifest's uri); by default the local file, which
# `kubectl krew install --manifest=... --archive=...` installs from without a download.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
module="$root/kubectl-plugin"
jar=$(ls "$module"/target/kubectl-orch-*.jar 2>/dev/null | grep -v -- '-sources' | head -n1)
[[ -n "$jar" ]] || { echo "kubectl-plugin.sh: no jar in $module/target; run make plugin" >&2; exit 1; }
version=$(basename "$jar" .jar); version=${version#kubectl-orch-}
dist="$module/target/kubectl-orch"
rm -rf "$dist"
mkdir -p "$dist/lib"
cp "$jar" "$dist/lib/kubectl-orch.jar"
cp "$module"/target/lib/*.jar "$dist/lib/"
cp "$module"/src/main/dist/kubectl-orch "$module"/src/main/dist/kubectl_complete-orch "$dist/"
chmod +x "$dist/kubectl-orch" "$dist/kubectl_complete-orch"

# Training run for the class-data archive: a deploy (packing, the client, its HTTP and TLS set-up) against an API
# server address where nothing listens, so that no cluster is needed to build; it ends with "cannot reach".
training=$(mktemp -d)
trap 'rm -rf "$training"' EXIT
cat > "$training/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: training, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: training, user: {token: training}}]
contexts: [{name: training, context: {cluster: training, user: training, namespace: default}}]
current-context: training
KUBECONFIG
if "$dist/kubectl-orch" --kubeconfig "$training/kubeconfig" deploy "$root/examples/hello-http" 2>"$training/err"; then
  echo "kubectl-plugin.sh: the training deploy should not reach an API server" >&2; exit 1
fi
grep -q "cannot reach the Kubernetes API server" "$training/err" || { cat "$training/err" >&2; exit 1; }
ls "$dist"/cds/classes-*.jsa >/dev/null

tarball="$module/target/kubectl-orch-$version.tar.gz"
tar --sort=name --owner=0 --group=0 --mtime='@0' -czf "$tarball" -C "$dist" --exclude=./cds .
sha=$(sha256sum "$tarball" | cut -d' ' -f1)
uri="${PLUGIN_RELEASE_URL:-file://$tarball}"
mkdir -p "$module/target/krew"
cat > "$module/target/krew/orch.yaml" <<MANIFEST
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: orch
spec:
  version: v${version%-SNAPSHOT}
  shortDescription: Deploy and look after orch-operator agents (AgentService, Swarm, Schedule)
  description: |
    kubectl orch deploys an agent's directory as an AgentService, Swarm or Schedule of orch-operator (its
    bundle ConfigMap and the resource, server-side applied), and lists, describes, restarts, pauses and
    configures them: env, vault secrets, logs, schedule runs and webhook URLs. Needs Java 17 or later.
  caveats: |
    kubectl orch runs on Java 17+ (java on PATH or JAVA_HOME). For shell completion of kubectl orch, put
    kubectl_complete-orch from the plugin's directory on PATH.
  platforms:
  - selector:
      matchExpressions:
      - {key: os, operator: In, values: [linux, darwin]}
    uri: $uri
    sha256: $sha
    bin: kubectl-orch
    files:
    - {from: "kubectl-orch", to: "."}
    - {from: "kubectl_complete-orch", to: "."}
    - {from: "lib", to: "lib"}
MANIFEST
echo "kubectl-orch $version: $dist/kubectl-orch"
echo "  release tarball $tarball (sha256 $sha)"
echo "  Krew manifest   $module/target/krew/orch.yaml"
