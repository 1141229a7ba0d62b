package io.regulator.tests.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The set Maven Central would get, read from the POMs: every module of the reactor that deploys
 * is pinned in regulator-bom and nothing else is, and each says what it is. A module added
 * without its BOM entry fails here, not in a user's build.
 */
class ReleaseSetTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

  @Test
  void theBom_pinsExactlyThePublishedModules() throws Exception {
    Set<String> published = new TreeSet<>();
    for (String module : texts(pom(ROOT), "modules", "module")) {
      Document pom = pom(ROOT.resolve(module));
      String artifactId = child(pom.getDocumentElement(), "artifactId");
      boolean skipsDeploy = "true".equals(property(pom, "maven.deploy.skip"));
      if (!skipsDeploy && !artifactId.equals("regulator-bom")) {
        published.add(artifactId);
        assertFalse(child(pom.getDocumentElement(), "name").isBlank(), module + ": <name>");
        assertFalse(child(pom.getDocumentElement(), "description").isBlank(),
            module + ": <description>");
      }
    }
    assertTrue(published.containsAll(Set.of("regulator-api", "regulator-core")), published::toString);
    Set<String> pinned = new TreeSet<>(texts(pom(ROOT.resolve("regulator-bom")),
        "dependencies", "artifactId"));
    assertEquals(published, pinned, "regulator-bom/pom.xml must list every published module");
  }

  @Test
  void theParent_carriesWhatMavenCentralRequires() throws Exception {
    Element project = pom(ROOT).getDocumentElement();
    for (String field : List.of("name", "description", "url")) {
      assertFalse(child(project, field).isBlank(), field);
    }
    assertEquals(List.of("Apache-2.0"), texts(pom(ROOT), "licenses", "name"));
    assertFalse(texts(pom(ROOT), "developers", "name").isEmpty(), "developers");
    assertFalse(texts(pom(ROOT), "scm", "connection").isEmpty(), "scm");
    assertTrue(Files.isRegularFile(ROOT.resolve("LICENSE")), "LICENSE at the root");
    assertFalse(property(pom(ROOT), "project.build.outputTimestamp").isBlank(),
        "project.build.outputTimestamp: reproducible jars");
  }

  private static Document pom(Path module) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(module.resolve("pom.xml").toFile());
  }

  /** The text of a direct child element, or "" if there is none. */
  private static String child(Element parent, String name) {
    for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
      if (node instanceof Element && node.getNodeName().equals(name)) {
        return node.getTextContent().trim();
      }
    }
    return "";
  }

  private static String property(Document pom, String name) {
    NodeList properties = pom.getDocumentElement().getElementsByTagName("properties");
    for (int i = 0; i < properties.getLength(); i++) {
      Node owner = properties.item(i).getParentNode();
      if (owner == pom.getDocumentElement()) {
        return child((Element) properties.item(i), name);
      }
    }
    return "";
  }

  /** Texts of the {@code leaf} elements under the top-level {@code section}. */
  private static List<String> texts(Document pom, String section, String leaf) {
    List<String> texts = new ArrayList<>();
    NodeList sections = pom.getDocumentElement().getElementsByTagName(section);
    for (int i = 0; i < sections.getLength(); i++) {
      Element element = (Element) sections.item(i);
      if (isTopLevel(pom, element, section)) {
        NodeList leaves = element.getElementsByTagName(leaf);
        for (int j = 0; j < leaves.getLength(); j++) {
          texts.add(leaves.item(j).getTextContent().trim());
        }
      }
    }
    return texts;
  }

  /** Whether {@code element} is the project's own section, not one inside a profile or plugin. */
  private static boolean isTopLevel(Document pom, Element element, String section) {
    Node parent = element.getParentNode();
    if (section.equals("dependencies")) {
      // the BOM's: project/dependencyManagement/dependencies
      return parent.getNodeName().equals("dependencyManagement")
          && parent.getParentNode() == pom.getDocumentElement();
    }
    return parent == pom.getDocumentElement();
  }
}
