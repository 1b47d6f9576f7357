package dev.pql.io;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * Two pieces of driver work at once, each submitting its own Spark jobs. Much of a small stage's time is the
 * driver planning and scheduling short jobs while cores wait; two threads keep both cores busy. The second
 * piece runs on a thread made here, so it inherits the caller's Spark local properties (its job group).
 */
public final class Concurrently {
  private Concurrently() {}

  /** Both results, or the first piece's failure (else the second's), after both have finished. */
  public record Both<A, B>(A first, B second) {}

  public static <A, B> Both<A, B> both(Supplier<A> first, Supplier<B> second) {
    ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "pql-concurrent");
      t.setDaemon(true);
      return t;
    });
    try {
      Future<B> other = thread.submit(second::get);
      A a;
      try {
        a = first.get();
      } catch (RuntimeException | Error e) {
        try {
          other.get();
        } catch (ExecutionException | InterruptedException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      return new Both<>(a, other.get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for concurrent work", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) throw r;
      if (e.getCause() instanceof Error err) throw err;
      throw new IllegalStateException(e.getCause());
    } finally {
      thread.shutdown();
    }
  }
}
