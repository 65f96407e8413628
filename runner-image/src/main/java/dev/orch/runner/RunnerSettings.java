package dev.orch.runner;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The runner's view of the pod environment the operator writes (see AgentPod in the operator). Paths
 * that Kubernetes fixes (bundle source, git credentials, termination log) can be moved with ORCH_*
 * variables so the runner also runs outside a pod, e.g. in tests.
 */
record RunnerSettings(String bundleKind, String bundleUrl, String bundleSha256, String gitRepository, String gitRef,
    String gitPath, List<String> command, List<String> args, Path workspace, Path statusDir, int httpPort,
    Path bundleSource, Path gitCredentials, Path terminationLog, long maxDownloadBytes, boolean allowPlainHttp) {

  static RunnerSettings fromEnvironment(Map<String, String> env) {
    return new RunnerSettings(
        env.getOrDefault("ORCH_BUNDLE_KIND", "configmap"),
        blankToNull(env.get("ORCH_BUNDLE_URL")),
        blankToNull(env.get("ORCH_BUNDLE_SHA256")),
        blankToNull(env.get("ORCH_GIT_REPOSITORY")),
        blankToNull(env.get("ORCH_GIT_REF")),
        blankToNull(env.get("ORCH_GIT_PATH")),
        jsonList(env, "ORCH_COMMAND"),
        jsonList(env, "ORCH_ARGS"),
        Path.of(env.getOrDefault("ORCH_WORKSPACE", "/orch/workspace")),
        Path.of(env.getOrDefault("ORCH_STATUS_DIR", "/orch/status")),
        port(env),
        Path.of(env.getOrDefault("ORCH_BUNDLE_SOURCE", "/orch/bundle-source")),
        Path.of(env.getOrDefault("ORCH_GIT_CREDENTIALS", "/orch/git-credentials")),
        Path.of(env.getOrDefault("ORCH_TERMINATION_LOG", "/dev/termination-log")),
        Long.parseLong(env.getOrDefault("ORCH_BUNDLE_MAX_BYTES", Long.toString(256L * 1024 * 1024))),
        false);
  }

  RunnerSettings withAllowPlainHttp() {
    return new RunnerSettings(bundleKind, bundleUrl, bundleSha256, gitRepository, gitRef, gitPath, command, args,
        workspace, statusDir, httpPort, bundleSource, gitCredentials, terminationLog, maxDownloadBytes, true);
  }

  private static int port(Map<String, String> env) {
    String raw = blankToNull(env.get("ORCHAGENT_HTTP_PORT"));
    if (raw == null) {
      raw = blankToNull(env.get("PORT"));
    }
    if (raw == null) {
      return 3000;
    }
    try {
      return Integer.parseInt(raw.strip());
    } catch (NumberFormatException e) {
      throw new RunnerException("ORCHAGENT_HTTP_PORT=" + raw + " is not a port number; set spec.http.port to the"
          + " port the agent listens on (default 3000)");
    }
  }

  private static List<String> jsonList(Map<String, String> env, String name) {
    String raw = blankToNull(env.get(name));
    if (raw == null) {
      return List.of();
    }
    try {
      return List.copyOf(new ObjectMapper().readValue(raw, new TypeReference<List<String>>() { }));
    } catch (Exception e) {
      throw new RunnerException(name + " must be a JSON array of strings, e.g. [\"python\", \"src/start.py\"], but is "
          + raw + "; it comes from the resource's " + (name.equals("ORCH_COMMAND") ? "spec.command" : "spec.args"));
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
