package dev.orch.operator.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the agent's code comes from: exactly one source. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "[has(self.configMap), has(self.url), has(self.git), has(self.image)].filter(x, x).size() == 1",
    message = "bundle must set exactly one source: configMap, url, git or image")
@ValidationRule(
    value = "!has(self.sha256) || has(self.url)",
    message = "bundle.sha256 checks a downloaded archive and is only allowed together with bundle.url")
@ValidationRule(
    value = "!has(self.url) || (isURL(self.url) && (self.url.endsWith('.tar.gz') || self.url.endsWith('.tgz')"
        + " || self.url.endsWith('.zip') || self.url.contains('?')))",
    fieldPath = ".url",
    message = "bundle.url must be a valid https:// URL of a .tar.gz, .tgz or .zip archive")
public record Bundle(
    @JsonPropertyDescription("A ConfigMap in the same namespace whose keys are the bundle's files"
        + " (orchagent.json, main.py, requirements.txt, ...).")
    ConfigMapSource configMap,

    @Size(max = 2048)
    @Pattern("^https://\\S+$")
    @JsonPropertyDescription("https URL of a .tar.gz, .tgz or .zip archive holding the bundle's files.")
    String url,

    @Pattern("^[a-fA-F0-9]{64}$")
    @JsonPropertyDescription("Expected SHA-256 of the archive at url, as 64 hex characters; the download is refused on mismatch.")
    String sha256,

    @JsonPropertyDescription("A git repository holding the bundle.")
    GitSource git,

    @Size(min = 1, max = 512)
    @Pattern("^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$")
    @JsonPropertyDescription("A container image that already holds the agent's code and dependencies; the runner starts it in place.")
    String image) {

  public record ConfigMapSource(
      @io.fabric8.generator.annotation.Required
      @Size(min = 1, max = 253)
      @Pattern(AgentTemplate.DNS_SUBDOMAIN)
      @JsonPropertyDescription("Name of the ConfigMap.")
      String name) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.path) || (!self.path.startsWith('/') && !self.path.split('/').exists(p, p == '..'))",
      fieldPath = ".path",
      message = "git.path must be a relative path inside the repository, without a leading / or '..'")
  public record GitSource(
      @io.fabric8.generator.annotation.Required
      @Size(min = 1, max = 2048)
      @Pattern("^(https://|ssh://|git@)\\S+$")
      @JsonPropertyDescription("Repository to clone: an https://, ssh:// or git@host:path address.")
      String repository,

      @Size(max = 256)
      @Pattern("^[A-Za-z0-9._/-]+$")
      @JsonPropertyDescription("Branch, tag or commit to check out. Defaults to the repository's default branch.")
      String ref,

      @Size(max = 1024)
      @JsonPropertyDescription("Directory inside the repository that holds the bundle. Defaults to the repository root.")
      String path,

      @Size(max = 253)
      @Pattern(AgentTemplate.DNS_SUBDOMAIN)
      @JsonPropertyDescription("Secret with the clone credentials: keys username and password (https) or ssh-privatekey (ssh).")
      String credentialsSecret) {
  }
}
