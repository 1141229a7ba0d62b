/**
 * Spring Boot auto-configuration of the node-wide per-host cap: a {@code HostRegulator} bean from
 * {@code regulator.*}, every request factory and connector Boot builds under it, its meters in the
 * context's registry, and the {@code regulator} Actuator endpoint.
 */
package io.regulator.spring.boot.autoconfigure;
