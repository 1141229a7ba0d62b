package io.regulator.core;

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

/** Asserts the module descriptors, as Caffeine's ModuleTest does: what is exported is the API. */
class ModuleTest {

  private static ModuleDescriptor descriptor(Class<?> type) throws IOException {
    Path classes = Path.of(type.getProtectionDomain().getCodeSource().getLocation().getPath());
    Path moduleInfo = Files.isDirectory(classes) ? classes.resolve("module-info.class") : null;
    if (moduleInfo != null) {
      try (InputStream in = Files.newInputStream(moduleInfo)) {
        return ModuleDescriptor.read(in);
      }
    }
    try (var jar = new java.util.jar.JarFile(classes.toFile());
        InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
      return ModuleDescriptor.read(in);
    }
  }

  @Test
  void core_exportsOnlyItsFactoryPackage() throws IOException {
    ModuleDescriptor core = descriptor(HostRegulators.class);
    assertEquals("io.regulator.core", core.name());
    Set<String> exported =
        core.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    assertEquals(Set.of("io.regulator.core"), exported);
  }

  @Test
  void core_needsMicrometerOnlyStatically() throws IOException {
    ModuleDescriptor core = descriptor(HostRegulators.class);
    ModuleDescriptor.Requires micrometer = core.requires().stream()
        .filter(r -> r.name().equals("micrometer.core")).findFirst().orElseThrow();
    // Static only, not transitive: with transitive, an application requiring io.regulator.core
    // did not compile without Micrometer on its module path.
    assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), micrometer.modifiers());
  }

  @Test
  void core_needsJfrOnlyStatically() throws IOException {
    ModuleDescriptor core = descriptor(HostRegulators.class);
    ModuleDescriptor.Requires jfr = core.requires().stream()
        .filter(r -> r.name().equals("jdk.jfr")).findFirst().orElseThrow();
    assertTrue(jfr.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC));
  }

  @Test
  void api_exportsOnlyItsPackageAndRequiresNothing() throws IOException {
    ModuleDescriptor api = descriptor(io.regulator.HostKey.class);
    assertEquals("io.regulator", api.name());
    assertEquals(Set.of("io.regulator"),
        api.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertEquals(Set.of("java.base"),
        api.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
  }
}
