package dev.orch.operator.agent;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * A non-sensitive environment variable; sensitive values belong in the vault Secret.
 * CEL rules sit on the type, not on record components, because a component's annotation is copied to
 * both the field and the accessor and the generator would emit every rule twice.
 */
@ValidationRule(
    value = "!self.name.matches('(?i).*(secret|token|password|api_key|credential|private_key).*')",
    fieldPath = ".name",
    message = "env name looks sensitive: names containing secret, token, password, api_key, credential or"
        + " private_key are refused; use secrets (store the value in the namespace's vault Secret and"
        + " list the name under spec.secrets)")
@ValidationRule(
    value = "self.name.matches('" + AgentTemplate.VARIABLE_NAME + "')",
    fieldPath = ".name",
    message = "env name must be a variable name: letters, digits and underscore, not starting with a digit,"
        + " e.g. QUEUE_NAME")
@ValidationRule(
    value = "!(self.name in " + AgentTemplate.SET_BY_OPERATOR + ") && !self.name.startsWith('ORCH_')",
    fieldPath = ".name",
    messageExpression = "'env name ' + self.name + '" + AgentTemplate.SET_BY_OPERATOR_MESSAGE + "'")
public record EnvVar(
    @Required
    @Size(min = 1, max = 128)
    @JsonPropertyDescription("Variable name, a valid shell identifier (letters, digits, underscore; not starting with a digit).")
    String name,

    @Size(max = 32768)
    @JsonPropertyDescription("Variable value. Never put credentials here: use spec.secrets.")
    String value) {
}
