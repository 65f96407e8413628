package dev.orch.localcluster;

import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** See {@link WithKubernetes}. */
public final class KubernetesExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver, TestWatcher {
  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(KubernetesExtension.class);
  private static final String CLIENT = "client";

  @Override
  public void beforeAll(ExtensionContext context) {
    namespaceClient(context);
  }

  /**
   * The class's namespace and its client, made on first use: with a per-class test lifecycle JUnit resolves
   * constructor parameters before any beforeAll callback runs.
   */
  private static KubernetesClient namespaceClient(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent()) {
      classContext = classContext.getParent().orElseThrow();
    }
    Class<?> testClass = classContext.getRequiredTestClass();
    return classContext.getStore(STORE).getOrComputeIfAbsent(CLIENT, key -> openNamespace(testClass), KubernetesClient.class);
  }

  private static KubernetesClient openNamespace(Class<?> testClass) {
    ClusterConnection cluster = SharedCluster.get();
    WithKubernetes settings = testClass.getAnnotation(WithKubernetes.class);
    if (settings != null && settings.controllerManager()) {
      cluster.ensureControllerManager();
    }
    String namespace = namespaceFor(testClass);
    try (KubernetesClient admin = new KubernetesClientBuilder().withConfig(cluster.adminConfig()).build()) {
      admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
          .withLabels(Map.of("orch.dev/test-class", testClass.getSimpleName().toLowerCase(Locale.ROOT)))
          .endMetadata().build()).create();
    }
    return new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(cluster.adminConfig()).withNamespace(namespace).build())
        .build();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    KubernetesClient client = context.getStore(STORE).remove(CLIENT, KubernetesClient.class);
    if (client != null) {
      // Without a controller manager the namespace stays Terminating; the control plane goes away with the JVM.
      client.namespaces().withName(client.getNamespace()).delete();
      client.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
    Class<?> type = parameter.getParameter().getType();
    return type == KubernetesClient.class || type == ClusterConnection.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
    Class<?> type = parameter.getParameter().getType();
    if (type == ClusterConnection.class) {
      return SharedCluster.get();
    }
    return namespaceClient(extension);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    KubernetesClient client = context.getStore(STORE).get(CLIENT, KubernetesClient.class);
    StringBuilder dump = new StringBuilder("\n===== Kubernetes state after failed test ")
        .append(context.getDisplayName()).append(" =====\n");
    if (client != null) {
      dump.append("--- events in namespace ").append(client.getNamespace()).append('\n');
      try {
        client.resources(Event.class).list().getItems().stream()
            .sorted(Comparator.comparing(e -> String.valueOf(e.getMetadata().getCreationTimestamp())))
            .forEach(e -> dump.append(e.getType()).append(' ').append(e.getReason()).append(' ')
                .append(e.getRegarding() == null ? "" : e.getRegarding().getKind() + "/" + e.getRegarding().getName())
                .append(": ").append(e.getNote()).append('\n'));
      } catch (RuntimeException e) {
        dump.append("(cannot list events: ").append(e.getMessage()).append(")\n");
      }
    }
    dump.append(SharedCluster.get().logTail(40));
    System.err.println(dump);
  }

  private static String namespaceFor(Class<?> testClass) {
    String base = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    if (base.length() > 40) {
      base = base.substring(0, 40);
    }
    return "t-" + base + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36, 36 * 36 * 36 * 36), 36);
  }
}
