#!/usr/bin/env bash
# Assembles the kubectl-orch plugin from the kubectl-plugin module's package output (`make plugin`):
#   kubectl-plugin/target/kubectl-orch/           kubectl-orch (the launcher), kubectl_complete-orch,
#                                                 lib/ (kubectl-orch.jar, its dependencies and classes.classlist),
#                                                 cds/ (the AppCDS archive made from it)
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

# Training runs for the class-data archive: list and info (and a missing name) against a canned API server on a
# loopback TLS port (hack/plugin-training-server.java), and a deploy against an address where nothing listens (the
# fabric8 client's set-up), so that no cluster is needed to build. Each records the classes it loads; their union is
# lib/classes.classlist, from which the launcher makes the archive.
training=$(mktemp -d)
server_pid=""
trap 'exec 3>&-; [ -z "$server_pid" ] || wait "$server_pid" 2>/dev/null || true; rm -rf "$training"' EXIT
keytool -genkeypair -alias training -keyalg RSA -keysize 2048 -validity 2 -dname CN=127.0.0.1 -ext san=ip:127.0.0.1 \
  -keystore "$training/server.p12" -storetype PKCS12 -storepass training -keypass training 2>/dev/null
keytool -exportcert -rfc -alias training -keystore "$training/server.p12" -storepass training > "$training/ca.crt" 2>/dev/null
mkfifo "$training/stdin"
java "$root/hack/plugin-training-server.java" "$training/server.p12" training "$training/port" < "$training/stdin" &
server_pid=$!
exec 3>"$training/stdin"
for _ in $(seq 1 300); do [[ -f "$training/port" ]] && break; sleep 0.1; done
[[ -f "$training/port" ]] || { echo "kubectl-plugin.sh: the training API server did not start" >&2; exit 1; }
kubeconfig() {
  cat <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: training, cluster: {server: "$1", certificate-authority: ca.crt}}]
users: [{name: training, user: {token: training}}]
contexts: [{name: training, context: {cluster: training, user: training, namespace: default}}]
current-context: training
KUBECONFIG
}
kubeconfig "https://127.0.0.1:$(cat "$training/port")" > "$training/kubeconfig"
kubeconfig "https://127.0.0.1:1" > "$training/unreachable"
train() {
  local expected=$1; shift
  JAVA_TOOL_OPTIONS="-XX:DumpLoadedClassList=$training/$(date +%s%N).classlist" "$dist/kubectl-orch" "$@" \
    >"$training/out" 2>"$training/err" || true
  grep -q "$expected" "$training/out" "$training/err" || { cat "$training/out" "$training/err" >&2; exit 1; }
}
train "acme/training@1.0.0" --kubeconfig "$training/kubeconfig" list
train "Deployed" --kubeconfig "$training/kubeconfig" info training
train "not found" --kubeconfig "$training/kubeconfig" info missing
train "cannot reach the Kubernetes API server" --kubeconfig "$training/unreachable" deploy "$root/examples/hello-http"
cat "$training"/*.classlist | grep -v '^#' | awk '!seen[$0]++' > "$dist/lib/classes.classlist"
rm -rf "$dist/cds"
# The first run makes the archive in the background; the build waits for it so that the install is ready to time.
"$dist/kubectl-orch" --version >/dev/null
for _ in $(seq 1 600); do ls "$dist"/cds/classes-*.jsa >/dev/null 2>&1 && break; sleep 0.1; done
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
