# Developer entry points. README.md names two of them as the contract: `make run` and `make test`.
SHELL := /bin/bash
MVN := hack/mvn -B
KUBE_BIN = $(shell hack/kube-binaries.sh | tail -n1)
HELM_BIN = $(shell hack/helm-binary.sh | tail -n1)

.PHONY: build test run crds kube-binaries helm-binary images clean bench-agentservice bench-crashloop bench-swarm

## build: compile every module and package the operator (no tests)
build:
	$(MVN) package -DskipTests

## test: build the Kubernetes binaries and helm once (cached), then run every test against a real API server
test: kube-binaries helm-binary
	ORCH_KUBE_BIN="$(KUBE_BIN)" ORCH_HELM_BIN="$(HELM_BIN)" $(MVN) verify

## run: run the operator against KUBECONFIG's cluster, or against a local control plane when there is none
run: kube-binaries build
	ORCH_KUBE_BIN="$(KUBE_BIN)" hack/run-operator.sh

## crds: regenerate crds/ and the Helm chart's copy from the model classes (commit the result; CI fails when they drift)
crds:
	$(MVN) -q -pl operator -am process-test-classes
	rm -f crds/*.yml helm/orch-operator/crds/*.yml
	cp operator/target/crds/*.yml crds/
	cp crds/*.yml helm/orch-operator/crds/

## kube-binaries: build etcd, kube-apiserver, kube-controller-manager and kubectl (no-op when cached)
kube-binaries:
	hack/kube-binaries.sh >/dev/null

## helm-binary: build the pinned helm CLI from source (no-op when cached)
helm-binary:
	hack/helm-binary.sh >/dev/null

## images: build localhost/orch-operator, orch-runner and orch-gateway with podman (no-op when inputs are unchanged)
images:
	hack/images.sh >/dev/null

clean:
	$(MVN) -q clean

BENCH = $(MVN) -q -pl operator -am test-compile -DskipTests && ORCH_KUBE_BIN="$(KUBE_BIN)" $(MVN) -q -pl operator exec:java \
  -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false -Dorch.repo.dir=$(CURDIR) -Dexec.mainClass=dev.orch.operator.bench

## bench-agentservice: apply 100 and 1,000 AgentServices to a local control plane and print convergence figures
bench-agentservice: kube-binaries
	$(BENCH).AgentServiceBenchmark

## bench-swarm: time from applying a 100-replica Swarm to all members created and status written
bench-swarm: kube-binaries
	$(BENCH).SwarmBenchmark

## bench-crashloop: latency from a pod status change to the AgentService status reflecting it (p50/p99 of 200)
bench-crashloop: kube-binaries
	$(BENCH).CrashLoopLatencyBenchmark

.PHONY: bench-gateway bench-pod
## bench-gateway: wrk direct vs through the gateway and nginx on loopback: added p50/p99 at ~1,000 req/s, throughput, CPU per request, RSS/PSS
bench-gateway:
	hack/bench-gateway.sh

## bench-pod: 10 podman pods shaped like AgentPod: start times, per-pod PSS/RSS idle, under load and after a burst, supervisor CPU per log line
bench-pod:
	hack/bench-pod.sh
