#!/usr/bin/env bash
# make bench-plugin: start-up and wall time of `kubectl orch list` and `info` against a local API server holding 100
# AgentServices, beside `kubectl get agentservices` in the same run, with hyperfine (installed from Debian when
# missing). Expects `make plugin` to have built kubectl-plugin/target/kubectl-orch/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v hyperfine >/dev/null; then
  echo "bench-plugin: installing hyperfine" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq hyperfine >/dev/null
fi
plugin="$root/kubectl-plugin/target/kubectl-orch/kubectl-orch"
[[ -x "$plugin" ]] || { echo "bench-plugin: $plugin is missing; run make plugin" >&2; exit 1; }
# The benchmark is a test class outside surefire's default includes, so `make test` never runs it.
exec "$root/hack/mvn" -B -q -pl kubectl-plugin -am verify -DskipITs -Dtest=PluginBenchmark \
  -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=false -Dsurefire.useFile=false \
  -Dorch.plugin.launcher="$plugin" -Dorch.bench.runs="${BENCH_PLUGIN_RUNS:-20}"
