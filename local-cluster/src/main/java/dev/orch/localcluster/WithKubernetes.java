package dev.orch.localcluster;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the test class against a real Kubernetes API server (see {@link Clusters}) with the project's CRDs
 * installed, in a namespace of its own. Test methods and constructors may take a {@code KubernetesClient}
 * (bound to that namespace) and the {@link ClusterConnection}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KubernetesExtension.class)
public @interface WithKubernetes {
  /** Also run kube-controller-manager: garbage collection and Deployment → ReplicaSet → Pod, Job, CronJob. */
  boolean controllerManager() default false;
}
