package io.regulator.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Asserts the module descriptor: what is exported is the API, and the API needs the api module. */
class ModuleTest {

  private static ModuleDescriptor descriptor() throws IOException {
    Path classes = Path.of(FleetHostRegulators.class.getProtectionDomain().getCodeSource()
        .getLocation().getPath());
    if (Files.isDirectory(classes)) {
      try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
        return ModuleDescriptor.read(in);
      }
    }
    try (var jar = new java.util.jar.JarFile(classes.toFile());
        InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void zookeeper_exportsOnlyItsFactoryPackage() throws IOException {
    ModuleDescriptor module = descriptor();
    assertEquals("io.regulator.zookeeper", module.name());
    assertEquals(Set.of("io.regulator.zookeeper"), module.exports().stream()
        .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
  }

  @Test
  void zookeeper_passesTheApiOnToItsUsers() throws IOException {
    ModuleDescriptor.Requires api = descriptor().requires().stream()
        .filter(r -> r.name().equals("io.regulator")).findFirst().orElseThrow();
    assertTrue(api.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE));
  }

  @Test
  void zookeeper_doesNotNeedTheCoreModule() throws IOException {
    assertTrue(descriptor().requires().stream()
        .noneMatch(r -> r.name().equals("io.regulator.core")));
  }
}
