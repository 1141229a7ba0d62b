package io.regulator.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.regulator.http.jdk.RegulatedHttpClient;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module exports its three API packages and keeps its internals to itself. */
class ModuleTest {

  @Test
  void descriptor_exportsTheApiPackagesOnly() throws Exception {
    Path classes = Path.of(RegulatedHttpClient.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertEquals("io.regulator.http", descriptor.name());
    assertEquals(Set.of("io.regulator.http", "io.regulator.http.jdk", "io.regulator.http.apache"),
        descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    // Static only: with transitive too, a JDK-client application needed HttpClient 5 to compile, and
    // one using HttpClient 5 without requiring it compiled, then failed at run time.
    for (String optional : Set.of("org.apache.httpcomponents.client5.httpclient5", "org.apache.httpcomponents.core5.httpcore5")) {
      assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC),
          descriptor.requires().stream().filter(r -> r.name().equals(optional)).findFirst().orElseThrow().modifiers(),
          optional + " stays optional and is not re-exported");
    }
  }
}
