# Developer entry points. README.md names two of them as the contract: `make run` and `make test`.
SHELL := /bin/bash
MVN := hack/mvn -B
KUBE_BIN = $(shell hack/kube-binaries.sh | tail -n1)

.PHONY: build test run crds kube-binaries clean

## build: compile every module and package the operator (no tests)
build:
	$(MVN) package -DskipTests

## test: build the Kubernetes binaries once (cached), then run every test against a real API server
test: kube-binaries
	ORCH_KUBE_BIN="$(KUBE_BIN)" $(MVN) verify

## run: run the operator against KUBECONFIG's cluster, or against a local control plane when there is none
run: kube-binaries build
	ORCH_KUBE_BIN="$(KUBE_BIN)" hack/run-operator.sh

## crds: regenerate crds/ from the model classes (commit the result; CI fails when they drift)
crds:
	$(MVN) -q -pl operator -am process-test-classes
	rm -f crds/*.yml
	cp operator/target/crds/*.yml crds/

## kube-binaries: build etcd, kube-apiserver, kube-controller-manager and kubectl (no-op when cached)
kube-binaries:
	hack/kube-binaries.sh >/dev/null

clean:
	$(MVN) -q clean
