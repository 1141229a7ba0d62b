package io.regulator.agent;

import io.regulator.agent.bootstrap.Bridge;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * The code woven into the clients: each piece only calls {@link Bridge}, the one class every client's
 * loader can see. ByteBuddy inlines these methods into the client's own; they are never called here.
 */
final class ClientAdvice {
  private ClientAdvice() {}

  /** {@code HttpClient.newBuilder().build()} and {@code HttpClient.newHttpClient()} return a regulated client. */
  static final class JdkBuild {
    private JdkBuild() {}

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void exit(@Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object client) {
      client = Bridge.jdkBuilt(client);
    }
  }

  /**
   * {@code new OkHttpClient(builder)}, which {@code Builder.build()} and {@code new OkHttpClient()}
   * both go through, first adds the regulator's interceptor to the builder. No {@code suppress}:
   * this runs before the super constructor call, where a handler is not allowed; {@link Bridge}
   * catches everything itself.
   */
  static final class OkHttpConstructor {
    private OkHttpConstructor() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Argument(0) Object builder) {
      Bridge.okhttpConstructing(builder);
    }
  }

  /** HttpClient 5 classic {@code HttpClientBuilder.build()} builds with a regulated connection manager. */
  static final class Apache5ClassicBuild {
    private Apache5ClassicBuild() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.This Object builder,
        @Advice.FieldValue(value = "connManager", readOnly = false, typing = Assigner.Typing.DYNAMIC) Object manager) {
      manager = Bridge.apache5Classic(builder, manager);
    }
  }

  /** HttpClient 5 {@code HttpAsyncClientBuilder.build()} builds with a regulated connection manager. */
  static final class Apache5AsyncBuild {
    private Apache5AsyncBuild() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.This Object builder,
        @Advice.FieldValue(value = "connManager", readOnly = false, typing = Assigner.Typing.DYNAMIC) Object manager) {
      manager = Bridge.apache5Async(builder, manager);
    }
  }

  /**
   * HttpClient 4.5 {@code HttpClientBuilder.createMainExec(.., manager, ..)}: the exec chain, which
   * leases and releases every connection, gets a regulated manager. {@code build()} computes its
   * default manager in a local variable, so this is the one place that sees it.
   */
  static final class Apache4MainExec {
    private Apache4MainExec() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.This Object builder,
        @Advice.Argument(value = 1, readOnly = false, typing = Assigner.Typing.DYNAMIC) Object manager) {
      manager = Bridge.apache4MainExec(builder, manager);
    }
  }

  /** Jetty 12 {@code HttpClient.doStart()} first decorates the client's connection pools. */
  static final class JettyStart {
    private JettyStart() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.This Object client) {
      Bridge.jettyStarting(client);
    }
  }

  /** Reactor Netty {@code ConnectionProvider.Builder.build()} (also behind {@code ConnectionProvider.create}) returns a regulated provider. */
  static final class ReactorBuild {
    private ReactorBuild() {}

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void exit(@Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object provider) {
      provider = Bridge.reactorBuilt(provider);
    }
  }

  /** The application's own {@code RegulatedConnectionProvider.builder(delegate, pool)} wraps the raw provider, not the agent's. */
  static final class ApplicationReactorWrap {
    private ApplicationReactorWrap() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC) Object delegate) {
      delegate = Bridge.applicationWrapsReactor(delegate);
    }
  }

  /** The application's own {@code RegulatedHttpClient.builder(delegate, pool)} wraps the raw client, not the agent's. */
  static final class ApplicationJdkWrap {
    private ApplicationJdkWrap() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC) Object delegate) {
      delegate = Bridge.applicationWrapsJdk(delegate);
    }
  }

  /** The application's own {@code RegulatedOkHttp.builder(...)} takes a builder without the agent's interceptor. */
  static final class ApplicationOkHttpWrap {
    private ApplicationOkHttpWrap() {}

    @Advice.OnMethodEnter
    static void enter(@Advice.Argument(0) Object builder) {
      Bridge.applicationWrapsOkHttp(builder);
    }
  }

  /** {@code HostRegulators.nodeWide()} returns the agent's regulator. */
  static final class NodeWide {
    private NodeWide() {}

    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Object enter() {
      return Bridge.regulator;
    }

    @Advice.OnMethodExit
    static void exit(@Advice.Enter Object agents,
        @Advice.Return(readOnly = false, typing = Assigner.Typing.DYNAMIC) Object regulator) {
      if (agents != null) {
        regulator = agents;
      }
    }
  }
}
