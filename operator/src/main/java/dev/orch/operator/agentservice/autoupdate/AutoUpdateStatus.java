package dev.orch.operator.agentservice.autoupdate;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;

/** The version spec.autoUpdate follows: what was last seen at the source, since when, and the last check. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AutoUpdateStatus(
    @Size(max = 128)
    @JsonPropertyDescription("The version deployed: the branch's commit (git) or the archive's SHA-256 (url).")
    String version,

    @Size(max = 2100)
    @JsonPropertyDescription("Where the version was read: the git repository and ref (REPOSITORY#REF), or the archive's URL.")
    String source,

    @Size(max = 64)
    @JsonPropertyDescription("When this version was first seen (RFC 3339).")
    String observedAt,

    @Size(max = 64)
    @JsonPropertyDescription("When the source was last checked (RFC 3339).")
    String checkedAt,

    @Size(max = 1024)
    @JsonPropertyDescription("Why the last check failed; the service keeps the version it has.")
    String error,

    @Size(max = 256)
    @JsonPropertyDescription("The orch.dev/check-update value already acted on.")
    String handledCheck) {
}
