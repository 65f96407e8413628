package dev.orch.operator.sleep;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;

/** Starts the {@link Activator} in every operator replica, leader or not, unless orch.sleep.activator-port is -1. */
@ApplicationScoped
public class ActivatorServer {
  private static final Logger LOG = Logger.getLogger(ActivatorServer.class);
  private Activator activator;

  void start(@Observes StartupEvent started, Vertx vertx, KubernetesClient client, SleepSettings settings,
      @ConfigProperty(name = "quarkus.operator-sdk.namespaces") Optional<List<String>> namespaces) {
    if (settings.activatorPort() < 0) {
      return;
    }
    // java-operator-sdk's and quarkus-operator-sdk's markers (all namespaces, the build-time choice: all) mean all.
    List<String> watched = namespaces.orElse(List.of()).stream()
        .filter(ns -> !ns.isBlank() && !ns.startsWith("JOSDK_") && !ns.startsWith("QOSDK_")).toList();
    try {
      activator = new Activator(vertx, client, settings, watched);
      LOG.infof("activator for sleeping services listening on port %d, for services in %s", activator.port(),
          watched.isEmpty() ? "all namespaces" : watched);
    } catch (RuntimeException e) {
      // The controllers still run; sleeping services then wake only by hand, which the log says.
      LOG.errorf("the activator could not listen on port %d (%s): requests to sleeping services will not wake them;"
          + " free the port or set orch.sleep.activator-port", settings.activatorPort(), e.getMessage());
    }
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (activator != null) {
      activator.close();
    }
  }
}
