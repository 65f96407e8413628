package dev.orch.operator.core.secrets;

import java.util.Optional;
import java.util.Set;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.Event;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.AbstractEventSource;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;

/**
 * Watches only the vault Secret (by name, through a field selector) in every namespace, so the operator needs
 * no right to read other Secrets, and wakes every resource of the namespace when the vault changes: adding a
 * missing key deploys a stalled service with no other action.
 */
public final class VaultSecretEventSource<P extends HasMetadata> extends AbstractEventSource<Secret, P>
    implements ResourceEventHandler<Secret> {
  private final KubernetesClient client;
  private final String secretName;
  private final IndexerResourceCache<P> primaries;
  private SharedIndexInformer<Secret> informer;

  public VaultSecretEventSource(EventSourceContext<P> context, String secretName) {
    super(Secret.class, "vault-secret");
    this.client = context.getClient();
    this.secretName = secretName;
    this.primaries = context.getPrimaryCache();
  }

  @Override
  public synchronized void start() {
    informer = client.secrets().inAnyNamespace().withField("metadata.name", secretName).inform(this);
    super.start();
  }

  @Override
  public synchronized void stop() {
    if (informer != null) {
      informer.stop();
    }
    super.stop();
  }

  public String secretName() {
    return secretName;
  }

  /** The vault Secret of the resource's namespace, if it exists. */
  public Optional<Secret> vaultOf(P primary) {
    return Optional.ofNullable(informer.getStore().getByKey(Cache.namespaceKeyFunc(primary.getMetadata().getNamespace(), secretName)));
  }

  @Override
  public Set<Secret> getSecondaryResources(P primary) {
    return vaultOf(primary).map(Set::of).orElse(Set.of());
  }

  @Override
  public void onAdd(Secret secret) {
    wakeNamespace(secret);
  }

  @Override
  public void onUpdate(Secret before, Secret after) {
    if (!java.util.Objects.equals(keys(before), keys(after))) {
      wakeNamespace(after);
    }
  }

  @Override
  public void onDelete(Secret secret, boolean finalStateUnknown) {
    wakeNamespace(secret);
  }

  private static Set<String> keys(Secret secret) {
    Set<String> keys = new java.util.TreeSet<>();
    if (secret.getData() != null) {
      keys.addAll(secret.getData().keySet());
    }
    if (secret.getStringData() != null) {
      keys.addAll(secret.getStringData().keySet());
    }
    return keys;
  }

  /** Every key name the vault holds (never the values). */
  public static Set<String> keyNames(Optional<Secret> vault) {
    return vault.map(VaultSecretEventSource::keys).orElse(Set.of());
  }

  private void wakeNamespace(Secret secret) {
    if (!isRunning()) {
      return;
    }
    String namespace = secret.getMetadata().getNamespace();
    primaries.list(namespace).forEach(p -> getEventHandler().handleEvent(new Event(ResourceID.fromResource(p))));
  }
}
