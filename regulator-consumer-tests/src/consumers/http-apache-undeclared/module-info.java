/**
 * Uses HttpClient 5 types without requiring HttpClient 5: must not compile. (With "requires static
 * transitive" in io.regulator.http it compiled, then failed at run time with NoClassDefFoundError.)
 */
module consumer.undeclared {
  requires io.regulator.core;
  requires io.regulator.http;
}
