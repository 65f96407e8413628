package dev.orch.localcluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Kubernetes node on this machine (containerd, kubelet, kube-scheduler, kube-proxy; see
 * hack/local-node.sh) joined to a {@link LocalControlPlane}. Some of a node's paths cannot be moved and its
 * sysctls are host-wide, so one node runs per host: a file lock, which the kernel releases even when this JVM is
 * killed, makes a second {@code make test} or {@code make run} wait for the first. Whatever a killed run left
 * behind is cleaned by the script before the next node starts.
 */
public final class LocalNode implements AutoCloseable {
  public static final String NAME = "orch-node";
  private static final Path LOCK_FILE = Path.of("/run/lock/orch-local-node.lock");
  private static final String SCRIPT = "hack/local-node.sh";

  private final Map<String, String> environment;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Path workDir;
  private boolean running;

  private LocalNode(Map<String, String> environment, FileChannel lockChannel, FileLock lock, Path workDir) {
    this.environment = environment;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.workDir = workDir;
  }

  /** The address the node will have; the API server advertises it so that pods can reach it. */
  public static String nodeIp() {
    return RepositoryScript.run(SCRIPT, Map.of(), List.of("ip")).strip();
  }

  /** Takes the host-wide lock (waiting for another run's node if needed), then starts the node and waits until Ready. */
  public static LocalNode start(Path kubeconfig, KubeBinaries kubeBinaries) {
    Path nodeBinaries = locateNodeBinaries();
    Map<String, String> environment = Map.of(
        "ORCH_NODE_BIN", nodeBinaries.toString(),
        "ORCH_KUBE_BIN", kubeBinaries.path("kubectl").getParent().toString());
    FileChannel channel = null;
    try {
      Files.createDirectories(LOCK_FILE.getParent());
      channel = FileChannel.open(LOCK_FILE, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        System.err.println("[orch-local-cluster] another make test or make run holds the local node ("
            + LOCK_FILE + "); waiting for it to finish");
        lock = channel.lock();
      }
      Path workDir = Files.createTempDirectory("orch-node-");
      LocalNode node = new LocalNode(environment, channel, lock, workDir);
      node.running = true;
      try {
        RepositoryScript.run(SCRIPT, environment, List.of("up", kubeconfig.toString(), workDir.toString()));
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
      return node;
    } catch (IOException e) {
      closeQuietly(channel);
      throw new UncheckedIOException("cannot take the local node's lock " + LOCK_FILE, e);
    }
  }

  /** Copies podman images (built by {@code make images}) into the node's containerd, so pods run them without a registry. */
  public void loadImages(List<String> images) {
    List<String> args = new ArrayList<>();
    args.add("load");
    args.addAll(images);
    RepositoryScript.run(SCRIPT, environment, args);
  }

  public Path workDir() {
    return workDir;
  }

  @Override
  public synchronized void close() {
    if (!running) {
      return;
    }
    running = false;
    try {
      RepositoryScript.run(SCRIPT, environment, List.of("down"));
    } finally {
      try {
        lock.release();
      } catch (IOException ignored) {
        // the lock goes with the channel
      }
      closeQuietly(lockChannel);
    }
  }

  private static Path locateNodeBinaries() {
    String fromEnv = System.getenv("ORCH_NODE_BIN");
    return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : KubeBinaries.buildWithScript("hack/node-binaries.sh");
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing to do
    }
  }
}
