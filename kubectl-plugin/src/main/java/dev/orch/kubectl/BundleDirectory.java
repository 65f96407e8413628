package dev.orch.kubectl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

/**
 * An agent's directory turned into its bundle ConfigMap, the way the operator and the runner read one: the files
 * as keys (text under data, the rest under binaryData), or one reproducible `bundle.tar.gz` key when the directory
 * has subfolders (ConfigMap keys cannot hold '/'), labelled {@code orch.dev/bundle=true} so the operator watches it.
 *
 * <p>Left out: `.git`, `node_modules`, `.venv` and `__pycache__` (the runner installs dependencies itself),
 * `kustomization.yaml` and the manifests it lists under resources (they deploy the code; they are not part of it),
 * `.orchignore`, and what `.gitignore` and `.orchignore` list.
 */
public final class BundleDirectory {
  /** What the API server accepts in one ConfigMap's data and binaryData together. */
  public static final int MAX_CONFIGMAP_BYTES = 1024 * 1024;
  public static final String LABEL = "orch.dev/bundle";
  public static final String ARCHIVE_KEY = "bundle.tar.gz";
  public static final String MANIFEST = "orchagent.json";
  private static final Set<String> SKIPPED_DIRECTORIES = Set.of(".git", "node_modules", ".venv", "__pycache__");
  private static final Set<String> KUSTOMIZATIONS = Set.of("kustomization.yaml", "kustomization.yml", "Kustomization");
  private static final Pattern CONFIGMAP_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  /**
   * @param configMap the bundle ConfigMap, without name, namespace or owner
   * @param files the files packed, relative to the directory
   * @param archived whether they went into one bundle.tar.gz key
   * @param manifest the directory's orchagent.json, parsed, or an empty map
   */
  public record Packed(ConfigMap configMap, List<String> files, boolean archived, Map<String, Object> manifest) {
    /** orchagent.json's required_secrets: the operator reads them from a flat bundle, not from an archive. */
    public List<String> requiredSecrets() {
      return Fields.strings(manifest, "required_secrets");
    }
  }

  private BundleDirectory() {
  }

  /** The directory packed into a ConfigMap without name or namespace: the caller names it after the resource. */
  public static Packed pack(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new UserError(directory + " is not a directory; pass the agent's directory (the one holding main.py,"
          + " orchagent.json, package.json, ...), or deploy from --bundle-url URL or --git REPO@REF instead");
    }
    try {
      Map<String, TarGz.Entry> files = collect(directory);
      if (files.isEmpty()) {
        throw new UserError(directory + " holds no files to deploy (after leaving out .git, node_modules, .venv,"
            + " kustomization.yaml and what .gitignore and .orchignore list); add the agent's code to it");
      }
      boolean archived = files.keySet().stream().anyMatch(f -> !CONFIGMAP_KEY.matcher(f).matches());
      Map<String, String> data = new TreeMap<>();
      Map<String, String> binaryData = new TreeMap<>();
      long size = 0;
      if (archived) {
        byte[] archive = TarGz.of(files);
        binaryData.put(ARCHIVE_KEY, Base64.getEncoder().encodeToString(archive));
        size = ARCHIVE_KEY.length() + archive.length;
      } else {
        for (var file : files.entrySet()) {
          byte[] content = file.getValue().content();
          String text = utf8(content);
          if (text != null) {
            data.put(file.getKey(), text);
          } else {
            binaryData.put(file.getKey(), Base64.getEncoder().encodeToString(content));
          }
          size += file.getKey().length() + content.length;
        }
      }
      if (size > MAX_CONFIGMAP_BYTES) {
        throw new UserError(tooLarge(directory, size, archived, files));
      }
      ConfigMap configMap = new ConfigMapBuilder()
          .withNewMetadata().withLabels(Map.of(LABEL, "true"))
          .endMetadata()
          .withData(data.isEmpty() ? null : data)
          .withBinaryData(binaryData.isEmpty() ? null : binaryData)
          .build();
      return new Packed(configMap, List.copyOf(files.keySet()), archived, manifest(directory));
    } catch (IOException e) {
      throw new UserError("cannot read " + directory + ": " + e.getMessage());
    }
  }

  private static String tooLarge(Path directory, long size, boolean archived, Map<String, TarGz.Entry> files) {
    String largest = files.entrySet().stream()
        .sorted(Comparator.comparingInt((Map.Entry<String, TarGz.Entry> f) -> f.getValue().content().length).reversed())
        .limit(3).map(f -> f.getKey() + " (" + kib(f.getValue().content().length) + ")").reduce((a, b) -> a + ", " + b)
        .orElse("");
    return directory + " packs into " + kib(size) + (archived ? " (as bundle.tar.gz)" : "") + ", more than the "
        + kib(MAX_CONFIGMAP_BYTES) + " a ConfigMap holds; the largest files: " + largest + ". Either leave build"
        + " output and data out by listing them in " + directory.resolve(".orchignore") + ", or publish the directory"
        + " (tar -czf bundle.tar.gz -C " + directory + " .) at an https URL and deploy with --bundle-url URL, or push"
        + " it to a git repository and deploy with --git REPO@REF";
  }

  private static String kib(long bytes) {
    return (bytes + 1023) / 1024 + " KiB";
  }

  private static Map<String, TarGz.Entry> collect(Path directory) throws IOException {
    IgnoreRules ignore = IgnoreRules.read(directory);
    Set<String> deployManifests = kustomizationResources(directory);
    Map<String, TarGz.Entry> files = new TreeMap<>();
    List<Path> pending = new ArrayList<>(List.of(directory));
    while (!pending.isEmpty()) {
      Path current = pending.remove(pending.size() - 1);
      List<Path> children;
      try (Stream<Path> list = Files.list(current)) {
        children = list.sorted().toList();
      }
      for (Path child : children) {
        String relative = directory.relativize(child).toString().replace('\\', '/');
        String name = child.getFileName().toString();
        if (Files.isSymbolicLink(child)) {
          throw new UserError(child + " is a symbolic link; a bundle holds regular files only: copy the file in, or"
              + " list it in " + directory.resolve(".orchignore"));
        }
        boolean isDirectory = Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS);
        if (ignore.ignores(relative, isDirectory)) {
          continue;
        }
        if (isDirectory) {
          if (!SKIPPED_DIRECTORIES.contains(name)) {
            pending.add(child);
          }
        } else if (!isLeftOutAtTop(relative, deployManifests) && Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
          files.put(relative, new TarGz.Entry(Files.readAllBytes(child), Files.isExecutable(child)));
        }
      }
    }
    return files;
  }

  private static boolean isLeftOutAtTop(String relative, Set<String> deployManifests) {
    return KUSTOMIZATIONS.contains(relative) || relative.equals(".orchignore") || deployManifests.contains(relative);
  }

  /** The files a kustomization.yaml at the top lists under resources: the manifests that deploy the code. */
  private static Set<String> kustomizationResources(Path directory) throws IOException {
    Set<String> resources = new LinkedHashSet<>();
    for (String name : KUSTOMIZATIONS) {
      Path file = directory.resolve(name);
      if (Files.isRegularFile(file)) {
        Object parsed;
        try {
          parsed = Serialization.unmarshal(Files.readString(file), Map.class);
        } catch (RuntimeException e) {
          throw new UserError(file + " is not valid YAML (" + e.getMessage() + "); fix it or remove it");
        }
        for (String resource : Fields.strings(parsed, "resources")) {
          resources.add(Path.of(resource).normalize().toString().replace('\\', '/'));
        }
      }
    }
    return resources;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> manifest(Path directory) {
    Path file = directory.resolve(MANIFEST);
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    try {
      return new LinkedHashMap<>(Serialization.jsonMapper().readValue(Files.readString(file), Map.class));
    } catch (IOException | RuntimeException e) {
      throw new UserError(file + " is not valid JSON (" + e.getMessage() + "); fix it, the runner reads it too");
    }
  }

  private static String utf8(byte[] content) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
