package io.regulator.agent;

import io.regulator.HostKey;
import io.regulator.HostRegulator;
import io.regulator.HostSnapshot;
import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Registers a {@link HostView} for every host the regulator knows: those with a limit of their own
 * at start, then every host that shows up with slots in use or waiters, found by a scan once a
 * second on a daemon thread. Everything runs on that thread (so {@code server} needs no guard). Registered hosts stay (at most {@link #MAX_HOSTS}, so that a crawler
 * cannot flood the MBean server).
 *
 * <p>Thread-safe.
 */
final class HostBeans {
  static final int MAX_HOSTS = 1000;
  private static final System.Logger LOG = System.getLogger("io.regulator.agent");

  private final HostRegulator regulator;
  /** Created on the scan thread: the platform MBean server costs a few hundred ms to start. */
  private MBeanServer server;
  /** Hosts registered; grows only, to MAX_HOSTS. */
  private final Set<HostKey> registered = ConcurrentHashMap.newKeySet();

  HostBeans(HostRegulator regulator) {
    this.regulator = regulator;
  }

  /** The MBean name of {@code key}. */
  static ObjectName name(HostKey key) throws JMException {
    return new ObjectName("io.regulator:type=Host,name=" + ObjectName.quote(key.toString()));
  }

  /** Registers {@code configured} and then scans, all on a daemon thread, off the JVM's start-up path. */
  void start(Iterable<HostKey> configured) {
    ScheduledExecutorService scan = Executors.newSingleThreadScheduledExecutor(task -> {
      Thread thread = new Thread(task, "regulator-agent-jmx");
      thread.setDaemon(true);
      return thread;
    });
    scan.execute(() -> {
      server = ManagementFactory.getPlatformMBeanServer();
      for (HostKey key : configured) {
        register(key);
      }
    });
    scan.scheduleWithFixedDelay(this::scan, 1, 1, TimeUnit.SECONDS);
  }

  private void scan() {
    try {
      for (HostSnapshot host : regulator.snapshot()) {
        register(host.key());
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "regulator-agent: JMX scan failed", e);
    }
  }

  private void register(HostKey key) {
    if (registered.contains(key) || registered.size() >= MAX_HOSTS || !registered.add(key)) {
      return;
    }
    try {
      server.registerMBean(new HostView(regulator, key), name(key));
    } catch (JMException | RuntimeException e) {
      LOG.log(Level.WARNING, "regulator-agent: cannot register the MBean of " + key, e);
    }
  }
}
