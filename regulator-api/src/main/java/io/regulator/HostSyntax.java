package io.regulator;

import java.net.IDN;
import java.util.Locale;

/** Normalizes host names and address literals into the one spelling a {@link HostKey} keeps. */
final class HostSyntax {
  private static final int MAX_NAME_LENGTH = 253;
  private static final int MAX_LABEL_LENGTH = 63;

  private HostSyntax() {}

  /**
   * The one spelling of {@code raw}: {@code raw} itself when it is a name in normal form already
   * (see {@link #normalName}), else what {@link #normalizeFully} makes of it.
   */
  static String normalize(String raw) {
    return normalName(raw) ? raw : normalizeFully(raw);
  }

  /**
   * Whether {@code raw} is a host name that {@link #normalizeFully} would return unchanged: 1 to
   * 253 characters of lowercase ASCII letters, digits, {@code '-'}, {@code '_'} and dots, in
   * labels of 1 to 63 characters that neither start nor end with {@code '-'} (so no empty label
   * and no trailing dot), and not made only of digits and dots (those are IPv4 literals). Such a
   * name is all ASCII, so {@code IDN.toASCII} returns it as it is; one pass, no allocation. The
   * proof that both paths agree is {@code HostSyntaxFastPathTest}.
   */
  static boolean normalName(String raw) {
    int length = raw.length();
    if (length == 0 || length > MAX_NAME_LENGTH) {
      return false;
    }
    boolean notNumeric = false;
    int labelStart = 0;
    for (int i = 0; i < length; i++) {
      char c = raw.charAt(i);
      if (c >= 'a' && c <= 'z' || c == '_') {
        notNumeric = true;
      } else if (c == '.') {
        if (i == labelStart || i - labelStart > MAX_LABEL_LENGTH || raw.charAt(i - 1) == '-') {
          return false;
        }
        labelStart = i + 1;
      } else if (c == '-') {
        if (i == labelStart) {
          return false;
        }
        notNumeric = true;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return notNumeric && labelStart < length && length - labelStart <= MAX_LABEL_LENGTH
        && raw.charAt(length - 1) != '-';
  }

  /** The full normalization: IPv6 and IPv4 literals, the root dot, IDN to punycode, lowercase. */
  static String normalizeFully(String raw) {
    if (raw.isBlank()) {
      throw new IllegalArgumentException("host is blank: \"" + raw + "\"");
    }
    if (raw.startsWith("[")) {
      if (!raw.endsWith("]")) {
        throw invalid(raw, "unclosed bracket");
      }
      return Ipv6.canonical(raw.substring(1, raw.length() - 1), raw);
    }
    if (raw.indexOf(':') >= 0) {
      return Ipv6.canonical(raw, raw);
    }
    String host = raw.replace('\u3002', '.').replace('\uFF0E', '.').replace('\uFF61', '.');
    if (host.length() > 1 && host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (isDigitsAndDots(host)) {
      return ipv4(host, raw);
    }
    String ascii;
    try {
      ascii = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid host \"" + raw + "\": " + e.getMessage(), e);
    }
    requireName(ascii, raw);
    return ascii;
  }

  private static boolean isDigitsAndDots(String host) {
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c != '.' && (c < '0' || c > '9')) {
        return false;
      }
    }
    return true;
  }

  private static String ipv4(String host, String raw) {
    String[] octets = host.split("\\.", -1);
    if (octets.length != 4) {
      throw invalid(raw, "an IPv4 address has four dotted octets");
    }
    StringBuilder out = new StringBuilder(15);
    for (String octet : octets) {
      if (octet.isEmpty() || octet.length() > 3) {
        throw invalid(raw, "octet \"" + octet + "\" is not 0..255");
      }
      if (octet.length() > 1 && octet.charAt(0) == '0') {
        // "010" is 8 to inet_aton and 10 to others: refuse rather than guess.
        throw invalid(raw, "octet \"" + octet + "\" has a leading zero");
      }
      int value = Integer.parseInt(octet);
      if (value > 255) {
        throw invalid(raw, "octet \"" + octet + "\" is not 0..255");
      }
      if (out.length() > 0) {
        out.append('.');
      }
      out.append(value);
    }
    return out.toString();
  }

  private static void requireName(String name, String raw) {
    if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      throw invalid(raw, "a name has 1 to " + MAX_NAME_LENGTH + " characters");
    }
    int labelStart = 0;
    for (int i = 0; i <= name.length(); i++) {
      if (i == name.length() || name.charAt(i) == '.') {
        int length = i - labelStart;
        if (length == 0 || length > MAX_LABEL_LENGTH) {
          throw invalid(raw, "a label has 1 to " + MAX_LABEL_LENGTH + " characters");
        }
        if (name.charAt(labelStart) == '-' || name.charAt(i - 1) == '-') {
          throw invalid(raw, "a label neither starts nor ends with '-'");
        }
        labelStart = i + 1;
        continue;
      }
      char c = name.charAt(i);
      // Underscores are not LDH, but real service and container names carry them.
      boolean allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!allowed) {
        throw invalid(raw, "character '" + c + "' is not allowed in a host name");
      }
    }
  }

  static IllegalArgumentException invalid(String raw, String why) {
    return new IllegalArgumentException("invalid host \"" + raw + "\": " + why);
  }

  /** Parses IPv6 text into eight groups and prints them in RFC 5952's canonical form. */
  private static final class Ipv6 {
    private Ipv6() {}

    static String canonical(String text, String raw) {
      if (text.indexOf('%') >= 0) {
        throw invalid(raw, "IPv6 zone ids are not supported");
      }
      int[] groups = parse(text, raw);
      return format(groups);
    }

    private static int[] parse(String text, String raw) {
      int gap = text.indexOf("::");
      if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
        throw invalid(raw, "'::' appears more than once");
      }
      int[] head = (gap < 0) ? groups(text, raw) : groups(text.substring(0, gap), raw);
      int[] tail = (gap < 0) ? new int[0] : groups(text.substring(gap + 2), raw);
      int count = head.length + tail.length;
      if ((gap < 0 && count != 8) || (gap >= 0 && count > 7)) {
        throw invalid(raw, "an IPv6 address has eight groups");
      }
      int[] result = new int[8];
      System.arraycopy(head, 0, result, 0, head.length);
      System.arraycopy(tail, 0, result, 8 - tail.length, tail.length);
      return result;
    }

    private static int[] groups(String text, String raw) {
      if (text.isEmpty()) {
        return new int[0];
      }
      String[] parts = text.split(":", -1);
      boolean embeddedIpv4 = parts[parts.length - 1].indexOf('.') >= 0;
      int[] result = new int[parts.length + (embeddedIpv4 ? 1 : 0)];
      for (int i = 0; i < parts.length; i++) {
        String part = parts[i];
        if (embeddedIpv4 && i == parts.length - 1) {
          String[] octets = ipv4(part, raw).split("\\.");
          result[i] = (Integer.parseInt(octets[0]) << 8) | Integer.parseInt(octets[1]);
          result[i + 1] = (Integer.parseInt(octets[2]) << 8) | Integer.parseInt(octets[3]);
          break;
        }
        if (part.isEmpty() || part.length() > 4) {
          throw invalid(raw, "IPv6 group \"" + part + "\" is not 1 to 4 hex digits");
        }
        int value = 0;
        for (int j = 0; j < part.length(); j++) {
          int digit = Character.digit(part.charAt(j), 16);
          if (digit < 0) {
            throw invalid(raw, "IPv6 group \"" + part + "\" is not 1 to 4 hex digits");
          }
          value = (value << 4) | digit;
        }
        result[i] = value;
      }
      return result;
    }

    private static String format(int[] groups) {
      boolean mappedIpv4 = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0
          && groups[4] == 0 && groups[5] == 0xffff;
      if (mappedIpv4) {
        return "::ffff:" + (groups[6] >>> 8) + "." + (groups[6] & 0xff) + "."
            + (groups[7] >>> 8) + "." + (groups[7] & 0xff);
      }
      // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on a tie.
      int bestStart = -1;
      int bestLength = 1;
      for (int i = 0; i < 8; ) {
        if (groups[i] != 0) {
          i++;
          continue;
        }
        int start = i;
        while (i < 8 && groups[i] == 0) {
          i++;
        }
        if (i - start > bestLength) {
          bestStart = start;
          bestLength = i - start;
        }
      }
      StringBuilder out = new StringBuilder(39);
      for (int i = 0; i < 8; i++) {
        if (i == bestStart) {
          out.append("::");
          i += bestLength - 1;
          continue;
        }
        if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
          out.append(':');
        }
        out.append(Integer.toHexString(groups[i]));
      }
      return out.toString();
    }
  }
}
