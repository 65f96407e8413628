package dev.orch.operator.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Predicate;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/** Editing one of our resources and waiting for its status, as a user with kubectl would. */
public final class CustomResources {
  private CustomResources() {
  }

  /** Edits the resource, retrying on conflicts: the operator writes its status concurrently. */
  public static <R extends CustomResource<?, ?>> void edit(KubernetesClient client, Class<R> type, String name,
      Consumer<R> change, Duration timeout) {
    await().atMost(timeout).ignoreExceptionsInstanceOf(KubernetesClientException.class).until(() -> {
      client.resources(type).withName(name).edit(resource -> {
        change.accept(resource);
        return resource;
      });
      return true;
    });
  }

  /** Waits until the resource has a status that passes the test, and returns the resource as it was then. */
  public static <S, R extends CustomResource<?, S>> R awaitStatus(KubernetesClient client, Class<R> type, String name,
      Predicate<S> test, Duration timeout) {
    return await().atMost(timeout).until(() -> client.resources(type).withName(name).get(),
        r -> r != null && r.getStatus() != null && test.test(r.getStatus()));
  }
}
