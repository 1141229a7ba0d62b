package io.regulator.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module exports its one API package and reads Jetty's client as a real module. */
class ModuleTest {

  @Test
  void descriptor_exportsTheApiPackageOnly() throws Exception {
    Path classes = Path.of(RegulatedPoolFactory.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertEquals("io.regulator.jetty", descriptor.name());
    assertEquals(Set.of("io.regulator.jetty"),
        descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertEquals(Set.of("io.regulator", "io.regulator.http", "org.eclipse.jetty.client", "java.base"),
        descriptor.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()));
  }
}
