package dev.orch.operator.agent;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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
    value = "!has(self.url) || (isURL(self.url) && url(self.url).getScheme() == 'https' && !self.url.contains(' ')"
        + " && (self.url.endsWith('.tar.gz') || self.url.endsWith('.tgz') || self.url.endsWith('.zip')"
        + " || self.url.contains('?')))",
    fieldPath = ".url",
    message = "bundle.url must be a valid https:// URL of a .tar.gz, .tgz or .zip archive,"
        + " e.g. https://downloads.example.com/discord-bot-1.2.0.tar.gz")
@ValidationRule(
    value = "!has(self.sha256) || self.sha256.matches('^[a-fA-F0-9]{64}$')",
    fieldPath = ".sha256",
    message = "bundle.sha256 must be the archive's SHA-256 as 64 hexadecimal characters, as `sha256sum bundle.tar.gz`"
        + " prints it, e.g. 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
@ValidationRule(
    value = "!has(self.image) || self.image.matches('^[a-zA-Z0-9][a-zA-Z0-9._/:@-]*$')",
    fieldPath = ".image",
    message = "bundle.image must be a container image reference, e.g. registry.example.com/acme/discord-bot:1.2.0")
public record Bundle(
    @JsonPropertyDescription("A ConfigMap in the same namespace whose keys are the bundle's files"
        + " (orchagent.json, main.py, requirements.txt, ...).")
    ConfigMapSource configMap,

    @Size(max = 2048)
    @JsonPropertyDescription("https URL of a .tar.gz, .tgz or .zip archive holding the bundle's files.")
    String url,

    @Size(max = 64)
    @JsonPropertyDescription("Expected SHA-256 of the archive at url, as 64 hex characters; the download is refused on mismatch.")
    String sha256,

    @JsonPropertyDescription("A git repository holding the bundle.")
    GitSource git,

    @Size(min = 1, max = 512)
    @JsonPropertyDescription("A container image that already holds the agent's code and dependencies; command (required with it) runs"
        + " in it under the supervisor.")
    String image) {

  @ValidationRule(
      value = "self.name.matches('" + AgentTemplate.DNS_SUBDOMAIN + "')",
      fieldPath = ".name",
      message = "bundle.configMap.name must be a ConfigMap name: lower-case letters, digits, '-' and '.', starting"
          + " and ending with a letter or digit, e.g. discord-bot-bundle")
  public record ConfigMapSource(
      @io.fabric8.generator.annotation.Required
      @Size(min = 1, max = 253)
      @JsonPropertyDescription("Name of the ConfigMap.")
      String name) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  @ValidationRule(
      value = "!has(self.path) || (!self.path.startsWith('/') && !self.path.split('/').exists(p, p == '..'))",
      fieldPath = ".path",
      message = "git.path must be a relative path inside the repository, without a leading / or '..', e.g. agents/bot")
  @ValidationRule(
      value = "self.repository.matches('^(https://|ssh://|git@)[^ ]+$')",
      fieldPath = ".repository",
      message = "git.repository must be an https://, ssh:// or git@host:path address without spaces,"
          + " e.g. https://github.com/acme/bots.git or git@github.com:acme/bots.git")
  @ValidationRule(
      value = "!has(self.ref) || self.ref.matches('^[A-Za-z0-9._/-]+$')",
      fieldPath = ".ref",
      message = "git.ref must be a branch, tag or commit (letters, digits, '.', '_', '/', '-'), e.g. main or v1.2.0")
  @ValidationRule(
      value = "!has(self.credentialsSecret) || self.credentialsSecret.matches('" + AgentTemplate.DNS_SUBDOMAIN + "')",
      fieldPath = ".credentialsSecret",
      message = "git.credentialsSecret must be a Secret name: lower-case letters, digits, '-' and '.', e.g. git-credentials")
  public record GitSource(
      @io.fabric8.generator.annotation.Required
      @Size(min = 1, max = 2048)
      @JsonPropertyDescription("Repository to clone: an https://, ssh:// or git@host:path address.")
      String repository,

      @Size(max = 256)
      @JsonPropertyDescription("Branch, tag or commit to check out. Defaults to the repository's default branch.")
      String ref,

      @Size(max = 1024)
      @JsonPropertyDescription("Directory inside the repository that holds the bundle. Defaults to the repository root.")
      String path,

      @Size(max = 253)
      @JsonPropertyDescription("Secret with the clone credentials: keys username and password (https) or ssh-privatekey (ssh).")
      String credentialsSecret) {
  }
}
