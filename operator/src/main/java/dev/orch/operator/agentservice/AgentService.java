package dev.orch.operator.agentservice;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** One always-on agent: a Discord bot, a webhook listener, a background worker. */
@Group("orch.dev")
@Version("v1alpha1")
@ShortNames({"agentsvc", "asvc"})
@Categories("orch")
@AdditionalPrinterColumn(name = "Agent", jsonPath = ".spec.agent", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "State", jsonPath = ".status.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Health", jsonPath = ".status.health", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Rollout", jsonPath = ".status.rollout.phase", type = AdditionalPrinterColumn.Type.STRING)
// The weight only with -o wide: most services never run a canary.
@AdditionalPrinterColumn(name = "Weight", jsonPath = ".status.rollout.weight", type = AdditionalPrinterColumn.Type.INTEGER, priority = 1)
@AdditionalPrinterColumn(name = "Restarts", jsonPath = ".status.restartCount", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".status.url", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
// The name becomes the Service's name, a DNS label (RFC 1035): what the Service would refuse is refused here.
@ValidationRule(
    value = "self.metadata.name.size() <= 63",
    message = "AgentService names are at most 63 characters, because the name becomes its Service's name (a DNS"
        + " label); choose a shorter name")
@ValidationRule(
    value = "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
    message = "AgentService names must start with a letter and hold only lower-case letters, digits and '-',"
        + " e.g. discord-bot, because the name becomes its Service's name (a DNS label)")
@ValidationRule(
    value = "!has(self.spec.gateway) || self.metadata.name.size() <= 56",
    message = "an AgentService routed through a Gateway has at most 56 characters, because it gets the Services"
        + " NAME-stable and NAME-canary (DNS labels of at most 63); choose a shorter name")
@JsonClassDescription("An always-on agent (a Discord bot, a webhook listener, a background worker) run as a Deployment and a Service,"
    + " published through an Ingress when asked. The operator hands it its secrets, counts its crashes and pauses it"
    + " after maxRestartFailures; status shows its state, URL and Ready/Reconciling/Stalled conditions.")
public class AgentService extends CustomResource<AgentServiceSpec, AgentServiceStatus> implements Namespaced {
}
