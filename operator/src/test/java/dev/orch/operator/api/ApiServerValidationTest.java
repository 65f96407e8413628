package dev.orch.operator.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.orch.localcluster.WithKubernetes;
import dev.orch.operator.agentservice.AgentServiceSpec;
import dev.orch.operator.schedule.ScheduleSpec;
import dev.orch.operator.swarm.SwarmSpec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * What users meet first: the API server itself accepting good resources and refusing bad ones with a message
 * that says what to change. Runs against a real kube-apiserver with the committed CRDs installed.
 */
@WithKubernetes
class ApiServerValidationTest {
  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AtomicInteger NAMES = new AtomicInteger();
  private static final String AGENT_SERVICE = "agentservice-minimal.yaml";
  private static final String SWARM = "swarm.yaml";
  private static final String CRON = "schedule-cron.yaml";
  private static final String WEBHOOK = "schedule-webhook.yaml";
  private static final String ALERT_HOST_REFUSED = "alertWebhookUrl must not point at the operator's own host, a link-local"
      + " address or a cloud metadata service";

  private final KubernetesClient client;

  ApiServerValidationTest(KubernetesClient client) {
    this.client = client;
  }

  @ParameterizedTest
  @ValueSource(strings = {"agentservice-minimal.yaml", "agentservice-full.yaml", "agentservice-autoupdate.yaml", "swarm.yaml", "schedule-cron.yaml",
      "schedule-webhook.yaml"})
  void validResourcesRoundTripThroughTheApiServerAndTheModel(String file) {
    Map<String, Object> sent = load(file);
    GenericKubernetesResource stored = create(sent);

    Map<String, Object> storedSpec = asMap(stored.getAdditionalProperties().get("spec"));
    assertThat(storedSpec).as("every field sent is stored unchanged").containsAllEntriesOf(asMap(sent.get("spec")));

    Class<?> specClass = switch (stored.getKind()) {
      case "AgentService" -> AgentServiceSpec.class;
      case "Swarm" -> SwarmSpec.class;
      case "Schedule" -> ScheduleSpec.class;
      default -> throw new IllegalArgumentException(stored.getKind());
    };
    Object typed = JSON.convertValue(storedSpec, specClass);
    assertThat(asMap(JSON.convertValue(typed, Map.class)))
        .as("the model reads and writes back every stored field").isEqualTo(storedSpec);
  }

  @Test
  void omittedFieldsGetTheDocumentedDefaults() {
    Map<String, Object> service = asMap(create(load(AGENT_SERVICE)).getAdditionalProperties().get("spec"));
    assertThat(service).containsEntry("minInstances", 1).containsEntry("maxInstances", 1)
        .containsEntry("maxRestartFailures", 5).containsEntry("paused", false).doesNotContainKey("autoUpdate");

    Map<String, Object> schedule = asMap(create(load(WEBHOOK)).getAdditionalProperties().get("spec"));
    assertThat(schedule).containsEntry("enabled", true).containsEntry("skipIfRunning", true)
        .containsEntry("historyLimit", 20).containsEntry("timeoutSeconds", 3600);
  }

  @Test
  void statusIsASubresourceThatSpecWritesCannotTouch() {
    GenericKubernetesResource created = create(load(AGENT_SERVICE));
    created.setAdditionalProperty("status", Map.of("state", "running", "observedGeneration", 1,
        "conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "Running",
            "message", "1/1 instances ready", "lastTransitionTime", "2026-11-23T10:00:00Z"))));
    GenericKubernetesResource afterStatus = client.genericKubernetesResources("orch.dev/v1alpha1", "AgentService")
        .resource(created).updateStatus();
    assertThat(asMap(afterStatus.getAdditionalProperties().get("status"))).containsEntry("state", "running");
    assertThat(afterStatus.getMetadata().getGeneration()).as("status writes do not bump the generation").isEqualTo(1L);

    afterStatus.setAdditionalProperty("status", Map.of("state", "failed"));
    GenericKubernetesResource afterSpecWrite = client.genericKubernetesResources("orch.dev/v1alpha1", "AgentService")
        .resource(afterStatus).update();
    assertThat(asMap(afterSpecWrite.getAdditionalProperties().get("status")))
        .as("a write to the main resource ignores status").containsEntry("state", "running");
  }

  @Test
  void namesAreRefusedWhenTheObjectsTheyBecomeCouldNotCarryThem() {
    assertThat(createNamed(load(AGENT_SERVICE), "a".repeat(63))).as("a Service name holds 63").isNotNull();
    assertRefused(load(AGENT_SERVICE), "a".repeat(64), "AgentService names are at most 63 characters");
    assertRefused(load(AGENT_SERVICE), "1st-bot", "AgentService names must start with a letter");
    assertRefused(load(AGENT_SERVICE), "bot.example", "AgentService names must start with a letter and hold only lower-case letters, digits and '-'");
    Map<String, Object> routed = load(AGENT_SERVICE);
    asMap(routed.get("spec")).put("gateway", Map.of("parentRefs", List.of(Map.of("name", "public"))));
    assertThat(createNamed(routed, "r".repeat(56))).as("NAME-canary stays within 63").isNotNull();
    assertRefused(routed, "r".repeat(57), "an AgentService routed through a Gateway has at most 56 characters");

    assertThat(createNamed(load(SWARM), "s".repeat(60))).as("NAME-99 stays within 63").isNotNull();
    assertRefused(load(SWARM), "s".repeat(61), "Swarm names are at most 60 characters");

    assertThat(createNamed(load(CRON), "c".repeat(52))).isNotNull();
    assertRefused(load(CRON), "c".repeat(53), "cron Schedule names are at most 52 characters");
    assertThat(createNamed(load(WEBHOOK), "w".repeat(63))).as("no CronJob, so the label limit").isNotNull();
    assertRefused(load(WEBHOOK), "w".repeat(64), "Schedule names are at most 63 characters");
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://hooks.example.com/orch", "https://10.0.0.7:8443/alerts", "https://[2001:db8::1]/x",
      "https://localhost.example.com/x"})
  void alertUrlsOfOrdinaryHostsAreAccepted(String url) {
    Map<String, Object> service = load(AGENT_SERVICE);
    asMap(service.get("spec")).put("alertWebhookUrl", url);
    assertThat(create(service)).isNotNull();
  }

  static Stream<Arguments> invalidResources() {
    return Stream.of(
        // Secrets belong in the vault Secret, never in env.
        refused("env name containing TOKEN", AGENT_SERVICE, "spec.env", "[{name: SLACK_TOKEN, value: x}]", "use secrets"),
        refused("env name containing api_key in lower case", AGENT_SERVICE, "spec.env", "[{name: openai_api_key, value: x}]", "use secrets"),
        refused("env name containing Password in mixed case", AGENT_SERVICE, "spec.env", "[{name: DbPassword, value: x}]", "use secrets"),
        refused("env name containing credential", SWARM, "spec.env", "[{name: GCP_CREDENTIALS, value: x}]", "use secrets"),
        refused("env name containing private_key", CRON, "spec.env", "[{name: SSH_PRIVATE_KEY, value: x}]", "use secrets"),
        refused("env name containing secret", AGENT_SERVICE, "spec.env", "[{name: CLIENT_SECRET, value: x}]", "use secrets"),
        refused("env name that is no variable name", AGENT_SERVICE, "spec.env", "[{name: 1-BAD, value: x}]", "env name must be a variable name: letters, digits and underscore, not starting with a digit, e.g. QUEUE_NAME"),
        refused("repeated env name", AGENT_SERVICE, "spec.env", "[{name: A, value: x}, {name: A, value: y}]", "env names must be unique"),
        refused("requiredSecrets entry that is no variable name", AGENT_SERVICE, "spec.requiredSecrets", "[discord-token]", "requiredSecrets must be environment variable names"),
        refused("secrets entry starting with a digit", SWARM, "spec.secrets", "[9LIVES]", "secrets must be environment variable names"),
        // Names the operator sets itself, and names listed twice.
        refused("env PORT, which http.port sets", AGENT_SERVICE, "spec.env", "[{name: PORT, value: '4000'}]", "env name PORT is set by the operator: PORT and ORCHAGENT_HTTP_PORT come from spec.http.port"),
        refused("env ORCHAGENT_HTTP_PORT", CRON, "spec.env", "[{name: ORCHAGENT_HTTP_PORT, value: '4000'}]", "env name ORCHAGENT_HTTP_PORT is set by the operator"),
        refused("env ORCH_ name", SWARM, "spec.env", "[{name: ORCH_AGENT, value: x}]", "env name ORCH_AGENT is set by the operator"),
        refused("HOME as a secret", CRON, "spec.secrets", "[HOME]", "secrets entry HOME is set by the operator"),
        refused("ORCH_ name as a required secret", AGENT_SERVICE, "spec.requiredSecrets", "[ORCH_RUN_INPUT]", "requiredSecrets entry ORCH_RUN_INPUT is set by the operator"),
        refused("replica index in a swarm's env", SWARM, "spec.env", "[{name: ORB_REPLICA_INDEX, value: '0'}]", "ORB_REPLICA_INDEX and ORB_REPLICA_COUNT are set by the swarm for each replica"),
        refused("env name also a secret", AGENT_SERVICE, "spec", "{env: [{name: REDIS_URL, value: x}], secrets: [REDIS_URL]}", "an env name is also listed under secrets or requiredSecrets"),
        refused("env name also a required secret", SWARM, "spec", "{env: [{name: QUEUE_URL, value: x}], requiredSecrets: [QUEUE_URL]}", "an env name is also listed under secrets or requiredSecrets"),
        refused("requiredSecrets entry listed twice", AGENT_SERVICE, "spec.requiredSecrets", "[A, B, A]", "requiredSecrets lists A more than once; remove the repeated entry"),
        refused("secrets entry listed twice", CRON, "spec.secrets", "[X, X]", "secrets lists X more than once; remove the repeated entry"),
        // Entrypoint and exposure.
        refused("empty command entry", AGENT_SERVICE, "spec.command", "[python, '']", "command must not contain empty strings"),
        refused("one-entry command with shell quoting", AGENT_SERVICE, "spec.command", "[\"python -c 'print(1)'\"]", "a one-entry command is split at its spaces and takes no shell quoting"),
        refused("wildcard ingress host", AGENT_SERVICE, "spec.ingress", "{host: '*.example.com'}", "ingress.host cannot be a wildcard"),
        // Alert URLs that would make the operator call its own host or the cloud's metadata service.
        refused("alert URL on localhost", AGENT_SERVICE, "spec.alertWebhookUrl", "https://localhost:8443/alerts", ALERT_HOST_REFUSED),
        refused("alert URL on localhost in capitals", AGENT_SERVICE, "spec.alertWebhookUrl", "https://LOCALHOST/alerts", ALERT_HOST_REFUSED),
        refused("alert URL on IPv4 loopback", AGENT_SERVICE, "spec.alertWebhookUrl", "https://127.0.0.1:8443/alerts", ALERT_HOST_REFUSED),
        refused("alert URL on IPv6 loopback", AGENT_SERVICE, "spec.alertWebhookUrl", "https://[::1]/alerts", ALERT_HOST_REFUSED),
        refused("alert URL on the metadata address", AGENT_SERVICE, "spec.alertWebhookUrl", "https://169.254.169.254/latest/meta-data/", ALERT_HOST_REFUSED),
        refused("alert URL on a link-local address", AGENT_SERVICE, "spec.alertWebhookUrl", "https://[fe80::1]/x", ALERT_HOST_REFUSED),
        refused("alert URL on AWS's IPv6 metadata address", AGENT_SERVICE, "spec.alertWebhookUrl", "https://[fd00:ec2::254]/", ALERT_HOST_REFUSED),
        refused("alert URL on Google's metadata name", AGENT_SERVICE, "spec.alertWebhookUrl", "https://metadata.google.internal/computeMetadata/v1/", ALERT_HOST_REFUSED),
        // Crash-loop threshold and instance counts.
        refused("maxRestartFailures 0", AGENT_SERVICE, "spec.maxRestartFailures", "0", "should be greater than or equal to 1"),
        refused("maxRestartFailures 51", AGENT_SERVICE, "spec.maxRestartFailures", "51", "should be less than or equal to 50"),
        refused("minInstances above maxInstances", AGENT_SERVICE, "spec", "{minInstances: 3, maxInstances: 2}", "minInstances must not exceed maxInstances"),
        refused("alertWebhookUrl over plain http", AGENT_SERVICE, "spec.alertWebhookUrl", "http://hooks.example.com/x", "alertWebhookUrl must be an https:// URL"),
        refused("http.port taken by the gateway", AGENT_SERVICE, "spec.http", "{port: 8080}", "port 8080 belongs to the gateway sidecar"),
        refused("http.port on an agent without HTTP", AGENT_SERVICE, "spec.http", "{enabled: false, port: 3000}", "http.port is set but http.enabled is false"),
        refused("ingress on an agent without HTTP", AGENT_SERVICE, "spec", "{http: {enabled: false}, ingress: {host: bot.example.com}}", "an ingress routes to the agent's HTTP port, but http.enabled is false"),
        // Rollouts: the replaced shapes are refused with the new one.
        refused("the former canaryWeight", AGENT_SERVICE, "spec.rollout", "{strategy: canary, canaryWeight: 20}", "rollout.canaryWeight was replaced by steps, each a weight and/or a pause; write e.g. rollout: {strategy: canary, steps: [{weight: 20, pause: {duration: 10m}}, {weight: 50, pause: {}}]}"),
        refused("canary without steps", AGENT_SERVICE, "spec.rollout", "{strategy: canary}", "strategy canary needs steps, and only canary takes steps"),
        refused("steps without canary", AGENT_SERVICE, "spec.rollout", "{strategy: rolling, steps: [{weight: 20}]}", "strategy canary needs steps, and only canary takes steps"),
        refused("an empty step", AGENT_SERVICE, "spec.rollout", "{strategy: canary, steps: [{}]}", "a rollout step sets a weight, a pause or both"),
        refused("weight 100", AGENT_SERVICE, "spec.rollout", "{strategy: canary, steps: [{weight: 100}]}", "should be less than or equal to 99"),
        refused("pause that is no duration", AGENT_SERVICE, "spec.rollout", "{strategy: canary, steps: [{pause: {duration: ten minutes}}]}", "pause.duration must be a duration such as 90s, 10m or 1h; omit it to wait until promoted"),
        refused("abortIfUnreadyFor without canary", AGENT_SERVICE, "spec.rollout", "{strategy: rolling, abortIfUnreadyFor: 5m}", "rollout.abortIfUnreadyFor only applies to strategy canary"),
        refused("canary of an agent without HTTP", AGENT_SERVICE, "spec", "{http: {enabled: false}, rollout: {strategy: canary, steps: [{weight: 20}]}}", "an agent that serves no HTTP takes no traffic to weigh, and two copies of a bot answer twice; use strategy: recreate"),
        refused("the former boolean autoUpdate", AGENT_SERVICE, "spec.autoUpdate", "true", "spec.autoUpdate: Invalid value: \"boolean\": spec.autoUpdate in body must be of type object"),
        refused("autoUpdate source that is not the bundle's", AGENT_SERVICE, "spec.autoUpdate", "{source: git}", "autoUpdate.source must match the bundle"),
        refused("autoUpdate polling every 10s", AGENT_SERVICE, "spec.autoUpdate", "{source: url, interval: 10s}", "autoUpdate.interval must be a duration between 1m and 24h"),
        refused("gateway route to an agent without HTTP", AGENT_SERVICE, "spec", "{http: {enabled: false}, gateway: {parentRefs: [{name: public}]}}", "a Gateway route sends HTTP to the agent, but http.enabled is false"),
        refused("gateway without parentRefs", AGENT_SERVICE, "spec.gateway", "{hostnames: [bot.example.com]}", "spec.gateway.parentRefs: Required value"),
        refused("autoUpdate of a pinned archive", "agentservice-full.yaml", "spec.autoUpdate", "{source: url}", "autoUpdate follows the archive at bundle.url as it changes, but bundle.sha256 pins one archive"),
        refused("probe path without a slash", AGENT_SERVICE, "spec.probes", "{readiness: {path: ready}}", "probe path must start with /"),
        refused("unknown rollout strategy", AGENT_SERVICE, "spec.rollout", "{strategy: blue-green}", "Unsupported value: \"blue-green\": supported values: \"canary\", \"recreate\", \"rolling\""),
        refused("sleep.afterIdle below 10s", AGENT_SERVICE, "spec.sleep", "{afterIdle: 5s}", "sleep.afterIdle must be a duration between 10s and 168h"),
        refused("sleep.afterIdle above a week", AGENT_SERVICE, "spec.sleep", "{afterIdle: 169h}", "sleep.afterIdle must be a duration between 10s and 168h"),
        refused("sleep.afterIdle in words", AGENT_SERVICE, "spec.sleep", "{afterIdle: 15 minutes}", "sleep.afterIdle must be a duration between 10s and 168h written with h, m and s, e.g. 15m"),
        refused("sleep.afterIdle on a Swarm", SWARM, "spec.sleep", "{afterIdle: 15m}", "a Swarm has no Service, so no request could wake it"),
        refused("sleep.afterIdle without HTTP", AGENT_SERVICE, "spec", "{http: {enabled: false}, sleep: {afterIdle: 15m}}", "http.enabled is false, so no request can reach it"),
        refused("keepAwake schedule of four fields", AGENT_SERVICE, "spec.sleep", "{keepAwake: [{schedule: '0 8 * *', duration: 10h}]}", "keepAwake schedule must be a cron expression with five fields"),
        refused("keepAwake duration above a week", SWARM, "spec.sleep", "{keepAwake: [{schedule: '0 8 * * 1-5', duration: 169h}]}", "keepAwake duration must be between 10s and 168h"),
        refused("keepAwake duration in words", AGENT_SERVICE, "spec.sleep", "{keepAwake: [{schedule: '0 8 * * 1-5', duration: ten hours}]}", "keepAwake duration must be between 10s and 168h written with h, m and s"),
        refused("keepAwake without duration", AGENT_SERVICE, "spec.sleep", "{keepAwake: [{schedule: '@daily'}]}", "spec.sleep.keepAwake[0].duration: Required value"),
        refused("keepAwake of eleven windows", AGENT_SERVICE, "spec.sleep", "{keepAwake: [" + "{schedule: '@daily', duration: 1h},".repeat(11) + "]}", "must have at most 10 items"),
        refused("sleep.timeZone without windows", AGENT_SERVICE, "spec.sleep", "{timeZone: Europe/Berlin}", "sleep.timeZone is the zone the keepAwake schedules are read in"),
        refused("sleep.timeZone not a zone name", AGENT_SERVICE, "spec.sleep", "{keepAwake: [{schedule: '@daily', duration: 1h}], timeZone: 'Berlin time'}", "sleep.timeZone must be an IANA time zone name"),
        refused("dependencyCache below 64Mi", AGENT_SERVICE, "spec.dependencyCache", "{size: 10Mi}", "dependencyCache.size must be a quantity between 64Mi and 100Gi, e.g. 1Gi"),
        refused("dependencyCache size in words", AGENT_SERVICE, "spec.dependencyCache", "{size: one gig}", "dependencyCache.size must be a quantity between 64Mi and 100Gi"),
        refused("dependencyCache without a size", AGENT_SERVICE, "spec.dependencyCache", "{storageClassName: local}", "spec.dependencyCache.size: Required value"),
        refused("dependencyCache with several instances", AGENT_SERVICE, "spec", "{maxInstances: 2, dependencyCache: {size: 1Gi}}", "dependencyCache keeps one workspace on one ReadWriteOnce volume, which only one pod may prepare into and run from; with maxInstances above 1"),
        refused("dependencyCache with a rolling rollout", AGENT_SERVICE, "spec", "{rollout: {strategy: rolling}, dependencyCache: {size: 1Gi}}", "a rolling or canary rollout runs the old and the new pod side by side; use rollout.strategy: recreate"),
        refused("ingress host with an underscore", AGENT_SERVICE, "spec.ingress", "{host: my_bot.example.com}", "ingress.host must be a fully qualified DNS name in lower case (letters, digits, '-' and '.'), e.g. bot.example.com"),
        // Identity and bundle.
        refused("agent without an org", AGENT_SERVICE, "spec.agent", "discord-bot", "agent must be org/name or org/name@version"),
        refused("missing agent", AGENT_SERVICE, "spec.agent", null, "spec.agent: Required value"),
        refused("bundle with two sources", AGENT_SERVICE, "spec.bundle", "{configMap: {name: a}, image: registry.example.com/a:1}", "bundle must set exactly one source"),
        refused("bundle with no source", AGENT_SERVICE, "spec.bundle", "{}", "bundle must set exactly one source"),
        refused("image bundle without a command", AGENT_SERVICE, "spec.bundle", "{image: registry.example.com/acme/bot:1}", "a bundle.image agent needs command"),
        refused("sha256 that is not 64 hex characters", AGENT_SERVICE, "spec.bundle", "{url: https://example.com/b.tar.gz, sha256: abc123}", "bundle.sha256 must be the archive's SHA-256 as 64 hexadecimal characters"),
        refused("sha256 without url", AGENT_SERVICE, "spec.bundle", "{configMap: {name: a}, sha256: " + "a".repeat(64) + "}", "only allowed together with bundle.url"),
        refused("bundle url that is not an archive", AGENT_SERVICE, "spec.bundle", "{url: https://example.com/bundle.txt}", "must be a valid https:// URL of a .tar.gz, .tgz or .zip archive"),
        refused("bundle url over plain http", AGENT_SERVICE, "spec.bundle", "{url: http://example.com/b.tar.gz}", "bundle.url must be a valid https:// URL"),
        refused("git repository without a scheme", SWARM, "spec.bundle", "{git: {repository: github.com/acme/bots}}", "git.repository must be an https://, ssh:// or git@host:path address"),
        refused("git ref with a space", SWARM, "spec.bundle", "{git: {repository: https://git.example.com/a.git, ref: my branch}}", "git.ref must be a branch, tag or commit"),
        refused("bundle image with a space", SWARM, "spec.bundle", "{image: registry.example.com/a b}", "bundle.image must be a container image reference"),
        refused("git path escaping the repository", SWARM, "spec.bundle", "{git: {repository: https://git.example.com/a.git, path: ../etc}}", "git.path must be a relative path"),
        // Swarm.
        refused("swarm of zero replicas", SWARM, "spec.replicas", "0", "should be greater than or equal to 1"),
        refused("swarm of 101 replicas", SWARM, "spec.replicas", "101", "should be less than or equal to 100"),
        refused("swarm without replicas", SWARM, "spec.replicas", null, "spec.replicas: Required value"),
        // Schedule.
        refused("cron schedule without schedule", CRON, "spec.schedule", null, "schedule is required for type cron"),
        refused("webhook schedule with a schedule", WEBHOOK, "spec.schedule", "\"*/5 * * * *\"", "schedule is not allowed for type webhook"),
        refused("webhook schedule with a time zone", WEBHOOK, "spec.timeZone", "Europe/Paris", "timeZone only applies to type cron"),
        refused("cron expression with three fields", CRON, "spec.schedule", "\"0 9 *\"", "schedule must be a cron expression with five fields (minute hour day-of-month month day-of-week), e.g. \"0 9 * * 1-5\""),
        refused("time zone with a space", CRON, "spec.timeZone", "Europe Berlin", "timeZone must be an IANA time zone name, e.g. Europe/Berlin"),
        refused("timeoutSeconds 0", CRON, "spec.timeoutSeconds", "0", "should be greater than or equal to 1"),
        refused("historyLimit 51", CRON, "spec.historyLimit", "51", "should be less than or equal to 50"),
        refused("unknown schedule type", CRON, "spec.type", "hourly", "Unsupported value: \"hourly\": supported values: \"cron\", \"webhook\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidResources")
  void invalidResourcesAreRefusedWithAnActionableMessage(String description, Map<String, Object> resource, String expected) {
    assertThatThrownBy(() -> create(resource))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).as("HTTP status").isEqualTo(422);
          assertThat(e.getStatus().getMessage()).contains(expected)
              .as("a sentence with an example, not a regular expression").doesNotContain("should match");
        });
  }

  /**
   * A valid resource from {@code baseFile} with one change: the field at {@code path} set to {@code yamlValue}
   * (removed when null). A map value given for {@code spec} is merged into it, so the rest stays valid.
   */
  private static Arguments refused(String description, String baseFile, String path, String yamlValue, String expected) {
    Map<String, Object> resource = load(baseFile);
    String[] segments = path.split("\\.");
    Map<String, Object> parent = resource;
    for (int i = 0; i < segments.length - 1; i++) {
      parent = asMap(parent.get(segments[i]));
    }
    String field = segments[segments.length - 1];
    if (yamlValue == null) {
      parent.remove(field);
    } else if (field.equals("spec")) {
      asMap(parent.get(field)).putAll(asMap(parse(yamlValue)));
    } else {
      parent.put(field, parse(yamlValue));
    }
    return Arguments.of(description, resource, expected);
  }

  private GenericKubernetesResource create(Map<String, Object> resource) {
    return createNamed(resource, asMap(resource.get("metadata")).get("name") + "-" + NAMES.incrementAndGet());
  }

  private void assertRefused(Map<String, Object> resource, String name, String expected) {
    assertThatThrownBy(() -> createNamed(resource, name))
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).as("HTTP status").isEqualTo(422);
          assertThat(e.getStatus().getMessage()).contains(expected);
        });
  }

  private GenericKubernetesResource createNamed(Map<String, Object> resource, String name) {
    Map<String, Object> copy = new LinkedHashMap<>(resource);
    Map<String, Object> metadata = new LinkedHashMap<>(asMap(copy.get("metadata")));
    metadata.put("name", name);
    copy.put("metadata", metadata);
    GenericKubernetesResource generic = JSON.convertValue(copy, GenericKubernetesResource.class);
    return client.genericKubernetesResources(generic.getApiVersion(), generic.getKind()).resource(generic).create();
  }

  private static Map<String, Object> load(String file) {
    try (InputStream in = ApiServerValidationTest.class.getResourceAsStream("/api/valid/" + file)) {
      if (in == null) {
        throw new IllegalArgumentException("no test resource /api/valid/" + file);
      }
      return asMap(YAML.readValue(in, Map.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Object parse(String yaml) {
    try {
      return YAML.readValue(yaml, Object.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> asMap(Object value) {
    return (Map<String, Object>) value;
  }
}
