package io.regulator.consumers;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The artifacts this application's build resolved, read from the test JVM's class path (surefire
 * runs without a manifest-only jar, so {@code java.class.path} is the list Maven resolved). A jar
 * of the local repository is named by its directory ({@code group/artifact/version/}); a module of
 * the reactor by the directory above its {@code target}. Not thread-safe; built once per test class.
 */
final class ResolvedArtifacts {
  /** One resolved file: its artifactId, its version ({@code reactor} for a module of this build), and the file. */
  record Artifact(String artifactId, String version, Path file) {}

  private final Map<String, List<Artifact>> byArtifactId = new LinkedHashMap<>();

  private ResolvedArtifacts() {}

  static ResolvedArtifacts ofThisBuild() {
    ResolvedArtifacts artifacts = new ResolvedArtifacts();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path file = Path.of(entry).toAbsolutePath().normalize();
      if (!Files.exists(file)) {
        continue;
      }
      Artifact artifact = describe(file);
      artifacts.byArtifactId.computeIfAbsent(artifact.artifactId(), k -> new ArrayList<>()).add(artifact);
    }
    return artifacts;
  }

  private static Artifact describe(Path file) {
    for (Path p = file; p != null; p = p.getParent()) {
      if (p.getFileName() != null && p.getFileName().toString().equals("target") && p.getParent() != null) {
        return new Artifact(p.getParent().getFileName().toString(), "reactor", file);
      }
    }
    Path versionDir = file.getParent();
    return new Artifact(versionDir.getParent().getFileName().toString(), versionDir.getFileName().toString(), file);
  }

  /** The files of these artifacts (every classifier of each), in this order; fails on a missing one. */
  List<Path> files(List<String> artifactIds) {
    List<Path> files = new ArrayList<>();
    for (String id : artifactIds) {
      files.addAll(get(id).stream().map(Artifact::file).toList());
    }
    return files;
  }

  /** The one version of an artifact this build resolved. */
  String version(String artifactId) {
    return get(artifactId).get(0).version();
  }

  boolean has(String artifactId) {
    return byArtifactId.containsKey(artifactId);
  }

  private List<Artifact> get(String artifactId) {
    List<Artifact> found = byArtifactId.get(artifactId);
    if (found == null) {
      throw new IllegalArgumentException("artifact not resolved by this build: " + artifactId
          + " (resolved: " + byArtifactId.keySet() + ")");
    }
    return found;
  }

  /** Every artifactId resolved, for a test that takes all of them but a few. */
  List<String> artifactIds() {
    return List.copyOf(byArtifactId.keySet());
  }
}
