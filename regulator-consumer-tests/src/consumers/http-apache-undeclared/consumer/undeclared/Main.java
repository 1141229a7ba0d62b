package consumer.undeclared;

import io.regulator.core.HostRegulators;
import io.regulator.http.apache.RegulatedConnections;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;

public final class Main {
  public static void main(String[] args) {
    RegulatedConnections.wrap(PoolingHttpClientConnectionManagerBuilder.create().build(),
        HostRegulators.builder().build().newPool("undeclared")).close();
  }
}
