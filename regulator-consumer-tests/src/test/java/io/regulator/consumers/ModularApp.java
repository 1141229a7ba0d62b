package io.regulator.consumers;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * One consumer application under {@code src/consumers/<name>}: a {@code module-info.java} and its
 * sources, compiled by javac with exactly the given jars on the module path (and, where a jar
 * cannot be a module, on the class path), then run as {@code java --module-path ... -m
 * <module>/<main>} in a fresh JVM. Not thread-safe: one per test.
 */
final class ModularApp {
  /** What javac said, and whether it compiled. */
  record Compilation(boolean success, String diagnostics) {}

  /** The exit code and everything the application printed. */
  record Run(int exitCode, String output) {}

  private static final Path CONSUMERS = Path.of("src", "consumers");

  private final String name;
  private final List<Path> modulePath = new ArrayList<>();
  private final List<Path> classPath = new ArrayList<>();
  private final List<String> addModules = new ArrayList<>();
  private final Path out;

  private ModularApp(String name) {
    this.name = name;
    this.out = Path.of("target", "consumers", name);
  }

  static ModularApp named(String name) {
    if (!Files.isDirectory(CONSUMERS.resolve(name))) {
      throw new IllegalArgumentException("no consumer sources: " + CONSUMERS.resolve(name).toAbsolutePath());
    }
    return new ModularApp(name);
  }

  ModularApp modulePath(List<Path> jars) {
    modulePath.addAll(jars);
    return this;
  }

  ModularApp classPath(List<Path> jars) {
    classPath.addAll(jars);
    return this;
  }

  /** {@code --add-modules} at run time: an explicit module nobody requires (slf4j-api 2 for the automatic modules). */
  ModularApp addModules(String... modules) {
    addModules.addAll(List.of(modules));
    return this;
  }

  Compilation compile() throws IOException {
    deleteRecursively(out);
    Files.createDirectories(out);
    List<Path> sources;
    try (Stream<Path> walk = Files.walk(CONSUMERS.resolve(name))) {
      sources = walk.filter(p -> p.toString().endsWith(".java")).toList();
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    List<String> options = new ArrayList<>(List.of("--release", "17", "-Xlint:all", "-d", out.toString()));
    if (!modulePath.isEmpty()) {
      options.addAll(List.of("--module-path", join(modulePath)));
    }
    if (!classPath.isEmpty()) {
      options.addAll(List.of("--class-path", join(classPath)));
    }
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      boolean ok = javac.getTask(null, files, diagnostics, options, null, files.getJavaFileObjectsFromPaths(sources)).call();
      String said = diagnostics.getDiagnostics().stream()
          .map(d -> d.getKind() + ": " + d.getMessage(Locale.ROOT)
              + (d.getSource() == null ? "" : " (" + Path.of(d.getSource().toUri()).getFileName() + ":" + d.getLineNumber() + ")"))
          .collect(Collectors.joining("\n"));
      return new Compilation(ok && diagnostics.getDiagnostics().stream().noneMatch(d -> d.getKind() == Diagnostic.Kind.ERROR), said);
    }
  }

  /** Runs {@code module/mainClass} on the module path in a new JVM; fails after a minute. */
  Run run(String module, String mainClass, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<Path> path = new ArrayList<>();
    path.add(out);
    path.addAll(modulePath);
    command.addAll(List.of("--module-path", join(path)));
    if (!classPath.isEmpty()) {
      command.addAll(List.of("--class-path", join(classPath)));
    }
    if (!addModules.isEmpty()) {
      command.addAll(List.of("--add-modules", String.join(",", addModules)));
    }
    command.addAll(List.of("-m", module + "/" + mainClass));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(name + " did not exit within 60 s: " + String.join(" ", command));
    }
    return new Run(process.exitValue(), output.join());
  }

  private static String readAll(InputStream in) {
    try (in) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      in.transferTo(bytes);
      return bytes.toString(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String join(List<Path> paths) {
    return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.delete(p);
      }
    }
  }
}
