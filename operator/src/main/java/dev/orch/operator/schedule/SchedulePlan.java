package dev.orch.operator.schedule;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

import dev.orch.operator.agent.AgentPod;
import dev.orch.operator.core.MetadataKeys;
import dev.orch.operator.core.config.OperatorSettings;
import dev.orch.operator.core.reconcile.Labels;
import dev.orch.operator.core.reconcile.OwnedMetadata;
import dev.orch.operator.core.reconcile.Plan;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpecBuilder;

/**
 * A Schedule's objects: for type cron a CronJob; every run, scheduled or not, a Job built from the shared agent
 * template, whose agent exit code is the run's.
 */
public final class SchedulePlan {
  /** Finished Jobs kept in the cluster for `kubectl logs`; the run history itself lives in status. */
  static final int JOBS_KEPT = 3;
  static final String RUN_COMPONENT = "run";
  static final String INPUT_ENV = "ORCH_RUN_INPUT";
  static final String INPUT_KEY = "input.json";
  static final String WEBHOOK_TOKEN_KEY = "token";

  private SchedulePlan() {
  }

  public static Plan of(Schedule schedule, List<String> secretNames, OperatorSettings settings) {
    Plan plan = new Plan();
    if (schedule.getSpec().getType() == ScheduleSpec.Type.CRON) {
      plan.with(cronJob(schedule, secretNames, settings));
    }
    return plan;
  }

  static CronJob cronJob(Schedule schedule, List<String> secretNames, OperatorSettings settings) {
    ScheduleSpec spec = schedule.getSpec();
    return new CronJobBuilder()
        .withMetadata(OwnedMetadata.of(schedule, "schedule"))
        .withNewSpec()
        .withSchedule(spec.getSchedule())
        .withTimeZone(NextFire.zoneName(spec.getTimeZone()))
        .withConcurrencyPolicy(Boolean.TRUE.equals(spec.getSkipIfRunning()) ? "Forbid" : "Allow")
        .withSuspend(!Boolean.TRUE.equals(spec.getEnabled()))
        .withSuccessfulJobsHistoryLimit(JOBS_KEPT)
        .withFailedJobsHistoryLimit(JOBS_KEPT)
        .withNewJobTemplate()
        .withNewMetadata().withLabels(runLabels(schedule, ScheduleStatus.Trigger.CRON)).endMetadata()
        .withSpec(jobSpec(schedule, secretNames, ScheduleStatus.Trigger.CRON, settings))
        .endJobTemplate()
        .endSpec()
        .build();
  }

  /** A run started now, by hand or by the webhook; with input, the agent reads it from ORCH_RUN_INPUT. */
  static Job run(Schedule schedule, String runId, ScheduleStatus.Trigger trigger, boolean withInput,
      List<String> secretNames, OperatorSettings settings) {
    JobSpec spec = jobSpec(schedule, secretNames, trigger, settings);
    if (withInput) {
      spec.getTemplate().getSpec().getContainers().stream().filter(c -> AgentPod.AGENT_CONTAINER.equals(c.getName()))
          .forEach(agent -> agent.getEnv().add(new EnvVarBuilder().withName(INPUT_ENV).withNewValueFrom()
              .withNewSecretKeyRef().withName(inputSecretName(runId)).withKey(INPUT_KEY).endSecretKeyRef()
              .endValueFrom().build()));
    }
    return new JobBuilder()
        .withMetadata(new ObjectMetaBuilder(OwnedMetadata.named(schedule, runId, runLabels(schedule, trigger)))
            .withOwnerReferences(ownedNotControlled(schedule)).build())
        .withSpec(spec)
        .build();
  }

  /**
   * Owned, so that a run goes with its Schedule, but not controlled: kube-controller-manager's CronJob controller
   * takes as its own every Job of the namespace whose controller reference carries its name, whatever the kind
   * (getJobsToBeReconciled in cronjob_controllerv2.go), and a Schedule's CronJob has the Schedule's name. A
   * controlled run would be reported as UnexpectedJob and deleted under the CronJob's history limits.
   */
  private static OwnerReference ownedNotControlled(Schedule schedule) {
    return new OwnerReferenceBuilder(OwnedMetadata.controlledBy(schedule)).withController(false).build();
  }

  /** The webhook call's body, owned by its Job so that it goes when the Job goes. */
  static Secret input(Job run, byte[] body) {
    return new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder().withName(inputSecretName(run.getMetadata().getName()))
            .withNamespace(run.getMetadata().getNamespace()).withLabels(run.getMetadata().getLabels())
            .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
                .withName(run.getMetadata().getName()).withUid(run.getMetadata().getUid()).build())
            .build())
        .withImmutable(true)
        .withData(Map.of(INPUT_KEY, Base64.getEncoder().encodeToString(body)))
        .build();
  }

  /** Holds a webhook schedule's token; the operator writes it once and never reads it back. */
  static Secret webhookToken(Schedule schedule, String token) {
    return new SecretBuilder()
        .withMetadata(new ObjectMetaBuilder(OwnedMetadata.named(schedule, webhookTokenSecretName(schedule),
            Labels.of(schedule, "webhook-token"))).withOwnerReferences(OwnedMetadata.controlledBy(schedule)).build())
        .withData(Map.of(WEBHOOK_TOKEN_KEY, Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))))
        .build();
  }

  /**
   * Job names are label values too, so at most 63 characters: the schedule's name is shortened, never the
   * part that tells runs apart.
   */
  static String runId(Schedule schedule, ScheduleStatus.Trigger trigger, String distinct) {
    String base = schedule.getMetadata().getName();
    String suffix = "-" + trigger.name().toLowerCase(Locale.ROOT) + "-" + distinct;
    return (base.length() + suffix.length() > 63 ? base.substring(0, 63 - suffix.length()) : base) + suffix;
  }

  static String webhookTokenSecretName(Schedule schedule) {
    return schedule.getMetadata().getName() + "-webhook";
  }

  static String inputSecretName(String runId) {
    return runId + "-input";
  }

  private static JobSpec jobSpec(Schedule schedule, List<String> secretNames, ScheduleStatus.Trigger trigger,
      OperatorSettings settings) {
    ScheduleSpec spec = schedule.getSpec();
    List<EnvVar> runEnv = List.of(
        new EnvVarBuilder().withName("ORCH_RUN_TRIGGER").withValue(trigger.name().toLowerCase(Locale.ROOT)).build(),
        // Cron runs are named by the CronJob controller, so the id comes from the pod's own labels.
        new EnvVarBuilder().withName("ORCH_RUN_ID").withNewValueFrom().withNewFieldRef()
            .withFieldPath("metadata.labels['" + RunHistory.JOB_NAME_LABEL + "']").endFieldRef().endValueFrom().build());
    var workload = new AgentPod.Workload(runLabels(schedule, trigger), Map.of(), OptionalInt.of(AgentPod.DEFAULT_HTTP_PORT), false, "Never", runEnv);
    return new JobSpecBuilder()
        // One attempt: a failed agent run is a result to record, not something to retry behind the user's back.
        .withBackoffLimit(0)
        .withActiveDeadlineSeconds(spec.getTimeoutSeconds().longValue())
        .withTemplate(AgentPod.template(spec, secretNames, workload, settings))
        .build();
  }

  private static Map<String, String> runLabels(Schedule schedule, ScheduleStatus.Trigger trigger) {
    Map<String, String> labels = Labels.of(schedule, RUN_COMPONENT);
    labels.put(MetadataKeys.RUN_TRIGGER, trigger.name().toLowerCase(Locale.ROOT));
    return labels;
  }
}
