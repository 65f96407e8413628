package dev.orch.runner;

import java.nio.file.Path;

/**
 * Layout of the workspace emptyDir, which outlives container restarts:
 * {@code bundle/} the agent's files and its node_modules (the agent's working directory),
 * {@code venv/} the Python virtual environment, {@code .orch/} the runner's own state (dependency marker,
 * staging area for a new bundle).
 */
record Workspace(Path root) {
  Path bundle() {
    return root.resolve("bundle");
  }

  Path venv() {
    return root.resolve("venv");
  }

  Path state() {
    return root.resolve(".orch");
  }

  Path staging() {
    return state().resolve("staging");
  }

  Path dependencyMarker() {
    return state().resolve("dependencies.sha256");
  }
}
