package io.regulator.reactor.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module exports its one package and keeps regulator-http optional. */
class ModuleTest {

  @Test
  void descriptor_exportsOnePackageAndRequiresRegulatorHttpStatically() throws Exception {
    Path classes = Path.of(RegulatedConnectionProvider.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor descriptor;
    try (InputStream in = Files.newInputStream(classes.resolve("module-info.class"))) {
      descriptor = ModuleDescriptor.read(in);
    }
    assertEquals("io.regulator.reactor.netty", descriptor.name());
    assertEquals(Set.of("io.regulator.reactor.netty"),
        descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC),
        descriptor.requires().stream().filter(r -> r.name().equals("io.regulator.http"))
            .findFirst().orElseThrow().modifiers(), "regulator-http stays optional");
  }
}
