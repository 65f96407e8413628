package dev.orch.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Puts a bundle's files into an empty directory, from one of the sources the operator configures:
 * a mounted ConfigMap, an https URL to an archive, or a git repository (through the git CLI).
 */
final class BundleFetcher {
  private final RunnerSettings settings;
  private final SafeUnpacker unpacker;
  private final AgentLog log;
  private final Map<String, String> env;

  BundleFetcher(RunnerSettings settings, SafeUnpacker unpacker, AgentLog log, Map<String, String> env) {
    this.settings = settings;
    this.unpacker = unpacker;
    this.log = log;
    this.env = env;
  }

  /** Fetches into target (created, must not exist) and returns the bundle's root directory inside it. */
  Path fetch(Path target, Path scratch) throws IOException {
    Files.createDirectories(target);
    Files.createDirectories(scratch);
    switch (settings.bundleKind()) {
      case "configmap" -> fromConfigMap(target);
      case "url" -> fromUrl(target, scratch);
      case "git" -> {
        return fromGit(target);
      }
      case "image" -> throw new RunnerException("ORCH_BUNDLE_KIND=image: a prebuilt image runs its own entrypoint and"
          + " needs no runner; use spec.bundle.configMap, url or git to run code with the runner image");
      default -> throw new RunnerException("ORCH_BUNDLE_KIND=" + settings.bundleKind() + " is unknown; expected"
          + " configmap, url, git or image (set exactly one of spec.bundle.configMap, url, git, image)");
    }
    return singleTopDirectory(target);
  }

  /**
   * Kubernetes mounts each ConfigMap key as a symbolic link into a hidden "..data" directory; the keys are
   * what matters. Keys cannot hold "/", so a bundle with subdirectories ships as one archive key
   * (binaryData), which is unpacked.
   */
  private void fromConfigMap(Path target) throws IOException {
    Path source = settings.bundleSource();
    if (!Files.isDirectory(source)) {
      throw new RunnerException("the ConfigMap bundle is not mounted at " + source + "; check that"
          + " spec.bundle.configMap.name names an existing ConfigMap in the resource's namespace");
    }
    List<Path> keys = new ArrayList<>();
    try (Stream<Path> list = Files.list(source)) {
      list.filter(p -> !p.getFileName().toString().startsWith("..") && Files.isRegularFile(p)).sorted()
          .forEach(keys::add);
    }
    if (keys.isEmpty()) {
      throw new RunnerException("the ConfigMap bundle at " + source + " has no files; add the agent's files"
          + " (main.py, requirements.txt, orchagent.json, ...) as keys of the ConfigMap");
    }
    if (keys.size() == 1 && SafeUnpacker.isArchive(keys.get(0).getFileName().toString())) {
      unpacker.unpack(keys.get(0), target);
      return;
    }
    for (Path key : keys) {
      Files.copy(key, target.resolve(key.getFileName().toString()));
    }
  }

  private void fromUrl(Path target, Path scratch) throws IOException {
    String url = settings.bundleUrl();
    if (url == null) {
      throw new RunnerException("ORCH_BUNDLE_KIND=url but ORCH_BUNDLE_URL is empty; set spec.bundle.url");
    }
    URI uri = URI.create(url);
    if (!"https".equals(uri.getScheme()) && !(settings.allowPlainHttp() && "http".equals(uri.getScheme()))) {
      throw new RunnerException("the bundle URL must use https (got " + uri.getScheme() + "://); serve the archive"
          + " over https or use a ConfigMap or git bundle");
    }
    log.runner("downloading the bundle from " + uri.getHost() + uri.getPath());
    HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(20)).build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RunnerException("interrupted while downloading the bundle");
    } catch (IOException e) {
      throw new RunnerException("cannot download the bundle from " + uri.getHost() + " (" + e + "); check that the"
          + " URL is right and reachable from the pod (DNS, NetworkPolicy, egress proxy)", e);
    }
    if (response.statusCode() != 200) {
      response.body().close();
      throw new RunnerException("downloading the bundle returned HTTP " + response.statusCode() + "; "
          + (response.statusCode() == 403 || response.statusCode() == 401
              ? "a signed URL may have expired: update spec.bundle.url" : "check spec.bundle.url"));
    }
    long max = settings.maxDownloadBytes();
    if (response.headers().firstValueAsLong("content-length").orElse(-1) > max) {
      response.body().close();
      throw tooLarge(max);
    }
    Path download = scratch.resolve("bundle.download");
    MessageDigest sha256 = sha256();
    try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(download)) {
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) > 0) {
        total += n;
        if (total > max) {
          throw tooLarge(max);
        }
        sha256.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
    }
    String actual = HexFormat.of().formatHex(sha256.digest());
    if (settings.bundleSha256() != null && !settings.bundleSha256().strip().equalsIgnoreCase(actual)) {
      throw new RunnerException("the downloaded bundle's sha256 is " + actual + " but spec.bundle.sha256 is "
          + settings.bundleSha256() + "; the file changed or the checksum is wrong: update one of them");
    }
    Path archive = scratch.resolve("bundle" + archiveSuffix(download));
    Files.move(download, archive);
    unpacker.unpack(archive, target);
  }

  /** Archive type from the first bytes, since signed URLs rarely end in a file extension. */
  private static String archiveSuffix(Path file) throws IOException {
    byte[] head = new byte[262];
    int n;
    try (InputStream in = Files.newInputStream(file)) {
      n = in.readNBytes(head, 0, head.length);
    }
    if (n >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return ".tar.gz";
    }
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
      return ".zip";
    }
    if (n >= 262 && new String(head, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
      return ".tar";
    }
    throw new RunnerException("the file at spec.bundle.url is not a .tar.gz, .tar or .zip archive; publish the"
        + " agent's directory as an archive (e.g. tar -czf bundle.tar.gz -C my-agent .)");
  }

  private Path fromGit(Path target) throws IOException {
    String repository = settings.gitRepository();
    if (repository == null) {
      throw new RunnerException("ORCH_BUNDLE_KIND=git but ORCH_GIT_REPOSITORY is empty; set spec.bundle.git.repository");
    }
    String ref = settings.gitRef() == null ? "HEAD" : settings.gitRef();
    Map<String, String> gitEnv = new HashMap<>(env);
    gitEnv.put("GIT_TERMINAL_PROMPT", "0");
    gitEnv.putAll(gitCredentials(settings.gitCredentials()));
    log.runner("fetching " + ref + " of " + repository);
    git(gitEnv, target, "init", "-q", ".");
    git(gitEnv, target, "remote", "add", "origin", repository);
    // fetch by ref works for branches, tags and (on servers that allow it) commit ids, without the history.
    if (ChildProcess.run(List.of("git", "fetch", "-q", "--depth", "1", "origin", ref), target, gitEnv, log) != 0) {
      throw new RunnerException("git could not fetch " + ref + " from " + repository + " (see the git output above);"
          + " check spec.bundle.git.repository and ref, and for a private repository the Secret named by"
          + " spec.bundle.git.credentialsSecret (keys username/password, or ssh-privatekey)");
    }
    git(gitEnv, target, "-c", "advice.detachedHead=false", "checkout", "-q", "FETCH_HEAD");
    deleteRecursively(target.resolve(".git"));
    if (settings.gitPath() == null) {
      return target;
    }
    Path sub = target.resolve(settings.gitPath()).normalize();
    if (!sub.startsWith(target) || !Files.isDirectory(sub)) {
      throw new RunnerException("spec.bundle.git.path " + settings.gitPath() + " is not a directory in " + repository
          + " at " + ref + "; set it to the agent's directory relative to the repository root");
    }
    return sub;
  }

  private void git(Map<String, String> gitEnv, Path dir, String... args) {
    List<String> argv = new ArrayList<>(List.of("git"));
    argv.addAll(List.of(args));
    if (ChildProcess.run(argv, dir, gitEnv, log) != 0) {
      throw new RunnerException("git " + args[0] + " failed (see the git output above)");
    }
  }

  /**
   * Credentials from the mounted Secret, passed through the environment so they never appear in a
   * command line: basic-auth (username + password, or a token alone) as an HTTP header, or an SSH key.
   */
  static Map<String, String> gitCredentials(Path dir) throws IOException {
    Map<String, String> vars = new HashMap<>();
    if (!Files.isDirectory(dir)) {
      return vars;
    }
    String password = read(dir.resolve("password"));
    if (password == null) {
      password = read(dir.resolve("token"));
    }
    if (password != null) {
      String username = read(dir.resolve("username"));
      String basic = Base64.getEncoder().encodeToString(((username == null ? "x-access-token" : username) + ":" + password)
          .getBytes(StandardCharsets.UTF_8));
      vars.put("GIT_CONFIG_COUNT", "1");
      vars.put("GIT_CONFIG_KEY_0", "http.extraHeader");
      vars.put("GIT_CONFIG_VALUE_0", "Authorization: Basic " + basic);
    }
    Path key = dir.resolve("ssh-privatekey");
    if (Files.isRegularFile(key)) {
      Path knownHosts = dir.resolve("known_hosts");
      vars.put("GIT_SSH_COMMAND", "ssh -i " + key + " -o IdentitiesOnly=yes " + (Files.isRegularFile(knownHosts)
          ? "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + knownHosts
          : "-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/known_hosts"));
    }
    return vars;
  }

  /** Values in the credentials Secret, to be masked in the log like any other secret. */
  static List<String> credentialValues(Path dir) throws IOException {
    List<String> values = new ArrayList<>();
    for (String name : List.of("password", "token", "ssh-privatekey")) {
      String value = read(dir.resolve(name));
      if (value != null) {
        values.add(value);
      }
    }
    Map<String, String> derived = gitCredentials(dir);
    if (derived.containsKey("GIT_CONFIG_VALUE_0")) {
      values.add(derived.get("GIT_CONFIG_VALUE_0"));
    }
    return values;
  }

  private static String read(Path file) throws IOException {
    return Files.isReadable(file) ? Files.readString(file).strip() : null;
  }

  /** An archive holding one top directory (as GitHub's do) is the bundle's root, not a wrapper around it. */
  private static Path singleTopDirectory(Path target) throws IOException {
    try (Stream<Path> list = Files.list(target)) {
      List<Path> entries = list.toList();
      if (entries.size() == 1 && Files.isDirectory(entries.get(0), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return entries.get(0);
      }
    }
    return target;
  }

  private static RunnerException tooLarge(long max) {
    return new RunnerException("the bundle at spec.bundle.url is larger than " + max / (1024 * 1024) + " MiB;"
        + " leave build output and data out of the archive, or ship the agent as a prebuilt image");
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
