package dev.orch.operator.agentservice.tls;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The service.tls_expiring alert body, in the crash-loop alerts' style (see the README). */
public record TlsExpiringAlert(
    String event,
    @JsonProperty("service_id") String serviceId,
    @JsonProperty("workspace_id") String workspaceId,
    @JsonProperty("service_name") String serviceName,
    String certificate,
    String host,
    @JsonProperty("not_after") String notAfter,
    @JsonProperty("renewal_time") String renewalTime,
    String reason,
    String message) {
}
