package io.regulator.okhttp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/** The two ways to run an OkHttp call, each giving a future of its response. */
enum Calls {
  /** {@code execute()} on a thread of its own. */
  SYNC {
    @Override
    CompletableFuture<Response> start(Call call) {
      CompletableFuture<Response> result = new CompletableFuture<>();
      Thread thread = new Thread(() -> {
        try {
          result.complete(call.execute());
        } catch (IOException | RuntimeException e) {
          result.completeExceptionally(e);
        }
      }, "sync-call");
      thread.setDaemon(true);
      thread.start();
      return result;
    }
  },
  /** {@code enqueue()}: OkHttp's dispatcher runs it. */
  ASYNC {
    @Override
    CompletableFuture<Response> start(Call call) {
      CompletableFuture<Response> result = new CompletableFuture<>();
      call.enqueue(new Callback() {
        @Override
        public void onFailure(Call failed, IOException e) {
          result.completeExceptionally(e);
        }

        @Override
        public void onResponse(Call done, Response response) {
          result.complete(response);
        }
      });
      return result;
    }
  };

  abstract CompletableFuture<Response> start(Call call);

  CompletableFuture<Response> start(OkHttpClient client, Request request) {
    return start(client.newCall(request));
  }

  /** Starts the call and, once its response is in, reads its body to the end: the status. */
  CompletableFuture<Integer> status(OkHttpClient client, Request request) {
    return start(client, request).thenApply(Calls::consume);
  }

  /** Reads and closes the body; the status. */
  static int consume(Response response) {
    try (response) {
      response.body().string();
      return response.code();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
