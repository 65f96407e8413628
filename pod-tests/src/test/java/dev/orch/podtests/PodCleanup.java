package dev.orch.podtests;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts pods for a test and always removes them: after a failed test it first prints every container's
 * log (the assertion alone rarely says why an agent misbehaved), and a shutdown hook covers a JVM that is
 * stopped mid-test.
 */
final class PodCleanup implements AfterTestExecutionCallback, AfterEachCallback {
  private final List<PodmanAgentPod> pods = new ArrayList<>();
  private final Podman podman;
  private final Path workRoot;
  private final Thread onShutdown = new Thread(this::removeAll, "pod-tests-cleanup");

  PodCleanup(Podman podman, Path workRoot) {
    this.podman = podman;
    this.workRoot = workRoot;
    Runtime.getRuntime().addShutdownHook(onShutdown);
  }

  PodmanAgentPod start(String name, PodmanAgentPod.Agent agent) {
    // Unique per JVM so that two checkouts running the tests at once do not remove each other's pods.
    String podName = "orch-it-" + ProcessHandle.current().pid() + "-" + name;
    synchronized (pods) {
      PodmanAgentPod pod = PodmanAgentPod.start(podman, podName, workRoot, agent);
      pods.add(pod);
      return pod;
    }
  }

  @Override
  public void afterTestExecution(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      synchronized (pods) {
        for (PodmanAgentPod pod : pods) {
          System.out.println("pod-tests: " + context.getDisplayName() + " failed; container logs follow\n"
              + pod.describe());
        }
      }
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    removeAll();
    // JUnit makes one of these per test; without this each would leave its (now idle) hook behind.
    Runtime.getRuntime().removeShutdownHook(onShutdown);
  }

  private void removeAll() {
    synchronized (pods) {
      pods.forEach(PodmanAgentPod::close);
      pods.clear();
    }
  }
}
