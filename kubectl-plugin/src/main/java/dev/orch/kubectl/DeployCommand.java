package dev.orch.kubectl;

import java.util.LinkedHashMap;
import java.util.Map;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "deploy", mixinStandardHelpOptions = true,
    description = {"Deploy an agent as an always-on AgentService, from its directory, an archive URL or a git repository.",
        "DIR becomes the ConfigMap NAME-bundle (one bundle.tar.gz key when it has subfolders), labelled"
            + " orch.dev/bundle=true and owned by the AgentService; .git, node_modules, .venv, __pycache__,"
            + " kustomization.yaml (and the manifests it lists) and what .gitignore and .orchignore list are left out."
            + " Both are server-side applied with field manager kubectl-orch."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  # The directory's orchagent.json names the agent and its required secrets",
        "  kubectl orch deploy ./discord-bot --env LOG_LEVEL=info --wait",
        "  # A worker with its own command, 2 to 4 instances behind an ingress",
        "  kubectl orch deploy ./api --name api --agent acme/api@2.0.0 --command \"uvicorn app:app\" \\",
        "      --min-instances 2 --max-instances 4 --ingress api.example.com --tls-issuer letsencrypt",
        "  # From git, or from an archive",
        "  kubectl orch deploy --git https://github.com/acme/bots.git@v1.2.0 --git-path discord --name discord-bot",
        "  kubectl orch deploy --bundle-url https://example.com/bot.tar.gz --name bot",
        "  # The objects for a GitOps repository instead of applying them",
        "  kubectl orch deploy ./discord-bot --dry-run=client -o yaml > discord-bot.yaml"})
public final class DeployCommand extends DeployVerb {
  @Option(names = "--min-instances", paramLabel = "N", description = "Instances kept running (default 1).")
  Integer minInstances;

  @Option(names = "--max-instances", paramLabel = "N",
      description = "Upper bound for autoscaling (default 1); above --min-instances an autoscaler is made.")
  Integer maxInstances;

  @Option(names = "--port", paramLabel = "PORT", description = "Port the agent's HTTP server binds (default 3000).")
  Integer port;

  @Option(names = "--no-http",
      description = "The agent serves no HTTP (a bot, a worker): no Service, and an update never runs it twice.")
  boolean noHttp;

  @Option(names = "--ingress", paramLabel = "HOST[/PATH]", description = "Publish the agent at this host (and path).")
  String ingress;

  @Option(names = "--tls-issuer", paramLabel = "CLUSTER-ISSUER",
      description = "cert-manager ClusterIssuer signing the --ingress host's certificate.")
  String tlsIssuer;

  @Override
  protected Kind kind() {
    return Kind.AGENT_SERVICE;
  }

  @Override
  protected Map<String, Object> kindSpec() {
    if (noHttp && (port != null || ingress != null)) {
      throw new UserError("--no-http says the agent serves no HTTP, so it takes no --port or --ingress; drop one");
    }
    if (tlsIssuer != null && ingress == null) {
      throw new UserError("--tls-issuer signs the --ingress host's certificate; add --ingress HOST");
    }
    Map<String, Object> http = noHttp ? Map.of("enabled", false) : port == null ? null : Map.of("port", port);
    Map<String, Object> ingressSpec = null;
    if (ingress != null) {
      ingressSpec = new LinkedHashMap<>();
      int slash = ingress.indexOf('/');
      ingressSpec.put("host", slash < 0 ? ingress : ingress.substring(0, slash));
      if (slash >= 0) {
        ingressSpec.put("path", ingress.substring(slash));
      }
      if (tlsIssuer != null) {
        ingressSpec.put("tls", Map.of("issuer", tlsIssuer));
      }
    }
    return fields("minInstances", minInstances, "maxInstances", maxInstances, "http", http, "ingress", ingressSpec);
  }
}
