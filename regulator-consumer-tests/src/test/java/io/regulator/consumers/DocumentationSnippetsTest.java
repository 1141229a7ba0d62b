package io.regulator.consumers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/** README's and docs/fleet.md's snippets, compiled for Java 17 as a reader would paste them. */
class DocumentationSnippetsTest {
  private static final Path OUT = Path.of("target", "snippets");

  @Test
  void readmeJdkClientSnippet_declaresARegulatedHttpClient_whoseCloseExistsOnJdk17() throws IOException {
    // Failed before: the snippet declared "HttpClient client", and HttpClient.close() is JDK 21+,
    // so the pool it owns could not be closed ("cannot find symbol: method close()").
    String snippet = javaBlockContaining(Files.readString(Path.of("..", "README.md")), "RegulatedHttpClient.builder(");
    compile("ReadmeJdkSnippet", """
        import io.regulator.HostRegulator;
        import io.regulator.http.RetryPolicy;
        import io.regulator.http.jdk.RegulatedHttpClient;
        import java.net.http.HttpClient;

        class ReadmeJdkSnippet {
          void run(HostRegulator regulator) {
        %s
            client.close();
          }
        }
        """.formatted(snippet));
  }

  @Test
  void fleetSnippet_waitsUntilCuratorIsConnected_beforeTheFirstAcquire_andCompiles() throws IOException {
    // Failed before: no blockUntilConnected, and a FAIL_FAST acquire against a ZooKeeper still
    // starting failed with FleetUnavailableException (SUSPENDED) in one run of two.
    String snippet = javaBlockContaining(Files.readString(Path.of("..", "docs", "fleet.md")), "CuratorFrameworkFactory.builder()");
    int connected = snippet.indexOf("curator.blockUntilConnected(");
    assertTrue(connected > snippet.indexOf("curator.start();") && connected < snippet.indexOf(".acquire("), snippet);
    compile("FleetSnippet", """
        import io.regulator.HostKey;
        import io.regulator.RegulatedPool;
        import io.regulator.Slot;
        import io.regulator.core.HostRegulators;
        import io.regulator.zookeeper.FleetHostRegulator;
        import io.regulator.zookeeper.FleetHostRegulators;
        import io.regulator.zookeeper.WhenUnavailable;
        import java.util.concurrent.TimeUnit;
        import org.apache.curator.framework.CuratorFramework;
        import org.apache.curator.framework.CuratorFrameworkFactory;
        import org.apache.curator.retry.ExponentialBackoffRetry;

        class FleetSnippet {
          void run() throws Exception {
        %s
          }
        }
        """.formatted(snippet));
  }

  /** The first ```java block of {@code markdown} that contains {@code marker}. */
  private static String javaBlockContaining(String markdown, String marker) {
    int at = markdown.indexOf(marker);
    assertTrue(at >= 0, "no snippet with " + marker);
    int start = markdown.lastIndexOf("```java\n", at) + "```java\n".length();
    int end = markdown.indexOf("```", at);
    return markdown.substring(start, end);
  }

  private static void compile(String className, String source) throws IOException {
    Files.createDirectories(OUT);
    Path file = OUT.resolve(className + ".java");
    Files.writeString(file, source, StandardCharsets.UTF_8);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
      boolean ok = javac.getTask(null, files, diagnostics,
          List.of("--release", "17", "-proc:none", "-d", OUT.toString(), "--class-path", System.getProperty("java.class.path")),
          null, files.getJavaFileObjectsFromPaths(List.of(file))).call();
      assertTrue(ok, diagnostics.getDiagnostics().stream().map(d -> d.getMessage(Locale.ROOT) + " (line " + d.getLineNumber() + ")")
          .collect(Collectors.joining("\n")) + "\n" + source);
    }
  }
}
