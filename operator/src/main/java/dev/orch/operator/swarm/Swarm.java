package dev.orch.operator.swarm;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** N identical, independent replicas of one agent, each told its index and the count. */
@Group("orch.dev")
@Version("v1alpha1")
@ShortNames("swm")
@Categories("orch")
@AdditionalPrinterColumn(name = "Agent", jsonPath = ".spec.agent", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Replicas", jsonPath = ".spec.replicas", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Deployed", jsonPath = ".status.deployed", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.ready", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Failed", jsonPath = ".status.failedCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@ValidationRule(
    value = "self.metadata.name.size() <= 60",
    message = "Swarm names are at most 60 characters: each replica runs as a Deployment named NAME-<index>"
        + " (up to NAME-99), which must stay within 63 characters; choose a shorter name")
@JsonClassDescription("N identical, independent replicas of one agent, each a one-pod Deployment named NAME-<index> and told"
    + " ORB_REPLICA_INDEX and ORB_REPLICA_COUNT; a crash-looping replica is paused on its own.")
public class Swarm extends CustomResource<SwarmSpec, SwarmStatus> implements Namespaced {
}
