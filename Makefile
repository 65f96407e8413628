# Developer entry points. README.md names two of them as the contract: `make run` and `make test`.
SHELL := /bin/bash
MVN := hack/mvn -B
KUBE_BIN = $(shell hack/kube-binaries.sh | tail -n1)
HELM_BIN = $(shell hack/helm-binary.sh | tail -n1)
NODE_BIN = $(shell hack/node-binaries.sh | tail -n1)

.PHONY: build test run crds kube-binaries node-binaries helm-binary images clean bench-agentservice bench-crashloop bench-swarm bench-memory bench-scale bench-webhook-flood prerequisites chaos

## build: compile every module and package the operator (no tests)
build:
	$(MVN) package -DskipTests

## test: install missing system packages, build the Kubernetes binaries, the node's binaries and helm once (cached),
## then run every test tier
test: prerequisites kube-binaries node-binaries helm-binary
	ORCH_KUBE_BIN="$(KUBE_BIN)" ORCH_NODE_BIN="$(NODE_BIN)" ORCH_HELM_BIN="$(HELM_BIN)" $(MVN) verify

## run: run the operator against KUBECONFIG's cluster, or against a local cluster with a real node when there is none
run: prerequisites kube-binaries node-binaries
	@echo "orch-operator: building (quietly; about a minute when nothing changed)"
	@$(MVN) -q package -DskipTests
	@hack/images.sh --skip-package runner gateway >/dev/null
	@ORCH_KUBE_BIN="$(KUBE_BIN)" ORCH_NODE_BIN="$(NODE_BIN)" hack/run-operator.sh

## crds: regenerate crds/ and the Helm chart's copy from the model classes (commit the result; CI fails when they drift)
crds:
	$(MVN) -q -pl operator -am process-test-classes
	rm -f crds/*.yml helm/orch-operator/crds/*.yml
	cp operator/target/crds/*.yml crds/
	cp crds/*.yml helm/orch-operator/crds/

## prerequisites: install podman, runc, debootstrap, nftables, iptables and iproute2 when missing (images, pod tests, the local node)
prerequisites:
	hack/install-prerequisites.sh

## kube-binaries: build etcd, kube-apiserver, kube-controller-manager and kubectl (no-op when cached)
kube-binaries:
	hack/kube-binaries.sh >/dev/null

## node-binaries: build kubelet, kube-scheduler, kube-proxy, containerd, the CNI plugins and the pause process (no-op when cached)
node-binaries:
	hack/node-binaries.sh >/dev/null

## helm-binary: build the pinned helm CLI from source (no-op when cached)
helm-binary:
	hack/helm-binary.sh >/dev/null

## images: build localhost/orch-operator, orch-runner and orch-gateway with podman (no-op when inputs are unchanged)
images: prerequisites
	hack/images.sh >/dev/null

clean:
	$(MVN) -q clean

# $(call bench,PHASE,CLASS): run a benchmark's main class from the operator's test classpath after building up to
# PHASE. exec:java runs in the operator module alone, which then resolves its sibling orch-local-cluster (and the
# parent POM) from the local repository: those two are installed first, so the benchmarks run from a fresh checkout.
bench = $(MVN) -q -pl local-cluster -am install -DskipTests && ORCH_KUBE_BIN="$(KUBE_BIN)" $(MVN) -q -pl operator \
  $(1) exec:java -Dexec.classpathScope=test -Dexec.cleanupDaemonThreads=false -Dorch.repo.dir=$(CURDIR) \
  -Dexec.mainClass=dev.orch.operator.bench.$(2)

## chaos: the full chaos run (make test runs a short one): 1,000 AgentServices with Swarms and Schedules, the
## packaged operator SIGKILLed and restarted every 10 s for 3 minutes, then checked for convergence, orphaned and
## duplicate objects and repeated alerts (CHAOS_SERVICES, CHAOS_SECONDS to change the size)
chaos: kube-binaries
	ORCH_KUBE_BIN="$(KUBE_BIN)" $(MVN) -pl operator -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dfailsafe.failIfNoSpecifiedTests=false -Dit.test=ChaosIT -Dorch.chaos.services=$(or $(CHAOS_SERVICES),1000) \
	  -Dorch.chaos.seconds=$(or $(CHAOS_SECONDS),180)

## bench-agentservice: apply 100 and 1,000 AgentServices to a local control plane and print convergence figures
bench-agentservice: kube-binaries
	$(call bench,test-compile,AgentServiceBenchmark)

## bench-swarm: time from applying a 100-replica Swarm to all members created and status written
bench-swarm: kube-binaries
	$(call bench,test-compile,SwarmBenchmark)

## bench-crashloop: latency from a pod status change to the AgentService status reflecting it (p50/p99 of 200)
bench-crashloop: kube-binaries
	$(call bench,test-compile,CrashLoopLatencyBenchmark)

## bench-memory: the packaged operator with the image's JVM options and the chart's memory limit, at 1,000 and
## 5,000 AgentServices: live heap per service, RSS/PSS, peak RSS of the first sync after a restart
## (BENCH_MEMORY_SIZES="1000" for one size, BENCH_MEMORY_LIMIT_MIB=2048 for another limit than the chart's 512,
## BENCH_MEMORY_MINUTES=40 to wait longer than 20 minutes for convergence; 10,000 took 15-17 here)
bench-memory: kube-binaries
	$(call bench,package -DskipTests,OperatorMemoryBenchmark -Dorch.bench.sizes="$(or $(BENCH_MEMORY_SIZES),1000 5000)" \
	  -Dorch.bench.memory-limit-mib=$(or $(BENCH_MEMORY_LIMIT_MIB),512) \
	  -Dorch.bench.convergence-minutes=$(or $(BENCH_MEMORY_MINUTES),20))

## bench-scale: the packaged operator beside kube-controller-manager (same threads, no client rate limit): 1,000
## AgentServices at once vs 1,000 Deployments -> ReplicaSets, then 20 applies/s for 60 s with pod status changes
## (p50/p99), then a restart's resync (writes, RSS); CPU seconds and load average beside each figure
## (BENCH_SCALE_SERVICES, BENCH_SCALE_MEMORY_LIMIT_MIB, BENCH_SCALE_THREADS to change them)
bench-scale: kube-binaries
	$(call bench,package -DskipTests,ScaleBenchmark -Dorch.bench.services=$(or $(BENCH_SCALE_SERVICES),1000) \
	  -Dorch.bench.memory-limit-mib=$(or $(BENCH_SCALE_MEMORY_LIMIT_MIB),1024) \
	  $(if $(BENCH_SCALE_THREADS),-Dorch.bench.reconcile-threads=$(BENCH_SCALE_THREADS)))

## bench-webhook-flood: the packaged operator's schedule webhook under 500 requests/s of wrong tokens for 60 s
## (vegeta): answers by status code, latency, RSS, and an AgentService change's latency before and during
bench-webhook-flood: kube-binaries
	$(call bench,package -DskipTests,WebhookFloodBenchmark)

.PHONY: plugin bench-plugin
## plugin: build kubectl-orch (launcher, jars, AppCDS archive), its release tarball and Krew manifest in kubectl-plugin/target/
plugin:
	$(MVN) -q -pl kubectl-plugin -am package -DskipTests
	hack/kubectl-plugin.sh

## bench-plugin: hyperfine: kubectl orch list / info beside kubectl get agentservices, 100 AgentServices on a local API server
bench-plugin: kube-binaries plugin
	ORCH_KUBE_BIN="$(KUBE_BIN)" hack/bench-plugin.sh

.PHONY: bench-gateway bench-pod
## bench-gateway: wrk direct vs through the gateway and nginx on loopback: added p50/p99 at ~1,000 req/s, throughput, CPU per request, RSS/PSS, failures under overload
bench-gateway:
	hack/bench-gateway.sh

.PHONY: bench-node
## bench-node: on the local node: apply → answering p50/p90 (scheduling, prepare, first /health), crash-loop detection, memory of one agent pod by container
bench-node: kube-binaries node-binaries
	$(MVN) -q install -DskipTests -DskipITs
	ORCH_KUBE_BIN="$(KUBE_BIN)" ORCH_NODE_BIN="$(NODE_BIN)" $(MVN) -q -pl node-tests exec:java -Dexec.classpathScope=test \
	  -Dexec.cleanupDaemonThreads=false -Dexec.mainClass=dev.orch.nodetests.NodeBenchmark -Dorch.repo.dir=$(CURDIR) \
	  -Dorch.crds.dir=$(CURDIR)/crds -Dorch.local-cluster.node=true -Dorch.operator.jar=$(CURDIR)/operator/target/quarkus-app/quarkus-run.jar

.PHONY: bench-wake
## bench-wake: on the local node: a sleeping service (with a requirements.txt) woken by a request, 10 times without and 10 with spec.dependencyCache: p50/p90 split into wake asked, scale-up, scheduling, prepare, agent running, /health, answer; memory freed per sleeping service
bench-wake: kube-binaries node-binaries
	$(MVN) -q install -DskipTests -DskipITs
	ORCH_KUBE_BIN="$(KUBE_BIN)" ORCH_NODE_BIN="$(NODE_BIN)" $(MVN) -q -pl node-tests exec:java -Dexec.classpathScope=test \
	  -Dexec.cleanupDaemonThreads=false -Dexec.mainClass=dev.orch.nodetests.WakeBenchmark -Dorch.repo.dir=$(CURDIR) \
	  -Dorch.crds.dir=$(CURDIR)/crds -Dorch.local-cluster.node=true -Dorch.operator.jar=$(CURDIR)/operator/target/quarkus-app/quarkus-run.jar

## bench-pod: 10 podman pods shaped like AgentPod: start times, per-pod PSS/RSS idle, under load and after a burst, supervisor CPU per log line
bench-pod:
	hack/bench-pod.sh
