package dev.orch.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class GatewaySettingsTest {

  @Test
  void appPortDefaultsTo3000() {
    GatewaySettings settings = GatewaySettings.fromEnvironment(Map.of());
    assertThat(settings.listenPort()).isEqualTo(8080);
    assertThat(settings.appPort()).isEqualTo(3000);
    assertThat(settings.statusFile()).isEqualTo(java.nio.file.Path.of("/orch/status/agent.json"));
  }

  @Test
  void appPortComesFromOrchagentHttpPort() {
    assertThat(GatewaySettings.fromEnvironment(Map.of("ORCHAGENT_HTTP_PORT", "5000")).appPort()).isEqualTo(5000);
  }

  @Test
  void listenPortCanMoveOutsideAPodAndStillGuardsTheAppPort() {
    GatewaySettings settings = GatewaySettings.fromEnvironment(Map.of("ORCH_GATEWAY_LISTEN_PORT", "18080"));
    assertThat(settings.listenPort()).isEqualTo(18080);
    assertThat(GatewaySettings.fromEnvironment(Map.of("ORCH_GATEWAY_LISTEN_PORT", "18080", "ORCHAGENT_HTTP_PORT",
        "8080")).appPort()).isEqualTo(8080);
    assertThatThrownBy(() -> GatewaySettings.fromEnvironment(Map.of("ORCH_GATEWAY_LISTEN_PORT", "18080",
        "ORCHAGENT_HTTP_PORT", "18080"))).hasMessageContaining("not 18080, which the gateway owns");
  }

  @Test
  void gatewayPortAndGarbageAreRefusedWithTheFix() {
    assertThatThrownBy(() -> GatewaySettings.fromEnvironment(Map.of("ORCHAGENT_HTTP_PORT", "8080")))
        .hasMessageContaining("which the gateway owns").hasMessageContaining("spec.http.port");
    assertThatThrownBy(() -> GatewaySettings.fromEnvironment(Map.of("ORCHAGENT_HTTP_PORT", "http")))
        .hasMessageContaining("is not a port number");
  }
}
