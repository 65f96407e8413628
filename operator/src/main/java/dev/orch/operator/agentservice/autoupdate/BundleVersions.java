package dev.orch.operator.agentservice.autoupdate;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.orch.operator.agent.Bundle;
import dev.orch.operator.core.alerts.AlertWebhook;

/**
 * Asks a bundle's source for its current version: the commit a git branch points at ({@code git ls-remote},
 * so the operator image carries git), or the SHA-256 of the archive at an https URL (downloaded and hashed,
 * never stored).
 */
public class BundleVersions {
  static final long MAX_ARCHIVE_BYTES = 512L * 1024 * 1024;
  private static final Duration GIT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(60);
  private final HttpClient http;

  /** @param extraCaBundle CAs trusted besides the JVM's, as for alert webhooks (in-house servers) */
  public BundleVersions(Optional<Path> extraCaBundle) {
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NORMAL)
        .sslContext(AlertWebhook.sslContext(extraCaBundle)).build();
  }

  /** The version now at the source, or why it cannot be known. */
  public Result current(Bundle bundle) {
    if (bundle.git() != null) {
      if (bundle.git().credentialsSecret() != null) {
        return Result.failed("the operator reads no Secrets, so it cannot ask a private repository for its branch"
            + " head; remove autoUpdate, or make the repository readable without credentials");
      }
      return gitHead(bundle.git().repository(), bundle.git().ref() == null ? "HEAD" : bundle.git().ref());
    }
    return urlDigest(bundle.url());
  }

  /** A version, or the reason there is none. */
  public record Result(String version, String error) {
    static Result failed(String error) {
      return new Result(null, error);
    }
  }

  Result gitHead(String repository, String ref) {
    List<String> command = List.of("git", "ls-remote", "--exit-code", "--", repository, ref);
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().put("GIT_TERMINAL_PROMPT", "0");
      Process git = builder.start();
      git.getOutputStream().close();
      byte[] output = git.getInputStream().readNBytes(64 * 1024);
      if (!git.waitFor(GIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        git.destroyForcibly();
        return Result.failed("git ls-remote " + repository + " " + ref + " took longer than " + GIT_TIMEOUT.toSeconds() + "s");
      }
      String text = new String(output, StandardCharsets.UTF_8).strip();
      if (git.exitValue() == 2) {
        return Result.failed("the repository " + repository + " has no branch or tag " + ref + "; check spec.bundle.git.ref");
      }
      if (git.exitValue() != 0) {
        return Result.failed("git ls-remote " + repository + " failed: " + last(text));
      }
      // Branch heads before tags; a tag's peeled commit (^{}) is what a checkout of the tag runs.
      return text.lines().map(line -> line.split("\\s+")).filter(f -> f.length == 2)
          .filter(f -> f[1].equals(ref) || f[1].equals("refs/heads/" + ref) || f[1].equals("refs/tags/" + ref + "^{}")
              || f[1].equals("refs/tags/" + ref))
          .sorted((a, b) -> Integer.compare(rank(a[1], ref), rank(b[1], ref)))
          .map(f -> new Result(f[0], null)).findFirst()
          .orElse(Result.failed("git ls-remote " + repository + " " + ref + " answered no matching ref: " + last(text)));
    } catch (IOException e) {
      return Result.failed("cannot run git ls-remote: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.failed("interrupted");
    }
  }

  private static int rank(String name, String ref) {
    return name.equals(ref) ? 0 : name.equals("refs/heads/" + ref) ? 1 : name.endsWith("^{}") ? 2 : 3;
  }

  Result urlDigest(String url) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(DOWNLOAD_TIMEOUT)
        .header("User-Agent", "orch-operator").GET().build();
    try {
      HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = response.body()) {
        if (response.statusCode() != 200) {
          return Result.failed("GET " + url + " answered HTTP " + response.statusCode());
        }
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = body.read(buffer)) > 0; ) {
          total += n;
          if (total > MAX_ARCHIVE_BYTES) {
            return Result.failed(url + " is larger than " + MAX_ARCHIVE_BYTES / (1024 * 1024) + " MiB");
          }
          sha256.update(buffer, 0, n);
        }
        return new Result(HexFormat.of().formatHex(sha256.digest()), null);
      }
    } catch (IOException e) {
      return Result.failed("GET " + url + " failed: " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.failed("interrupted");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String last(String text) {
    String line = text.lines().reduce((a, b) -> b).orElse("");
    return line.length() <= 300 ? line : line.substring(0, 300);
  }
}
