package dev.pql.model;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.api.java.function.Function2;

/**
 * The binned rows that discovery's passes read, partitioned by account: on the executors, or, when they are small
 * (rows × features within pql.model.local-solver-max-cells, as {@link LocalMatrix}), held on the driver in the same
 * partitions. Stepwise selection makes a pass per Newton step and per round, a hundred and more: on the executors
 * each is a Spark job, on the driver a loop over a few megabytes. Either way a pass sums each partition, then adds
 * the partition sums, so both give the same figures.
 */
final class Observations {
  private final JavaRDD<ClusteredLogit.Observation> distributed;
  private final List<List<ClusteredLogit.Observation>> local;

  private Observations(JavaRDD<ClusteredLogit.Observation> distributed, List<List<ClusteredLogit.Observation>> local) {
    this.distributed = distributed;
    this.local = local;
  }

  /** {@code persisted} (persisted rows of {@code width} bins each) kept where it is, or collected when small. */
  static Observations of(JavaRDD<ClusteredLogit.Observation> persisted, int width, long localMaxCells) {
    long rows = persisted.count();
    if (rows * Math.max(width, 1) > localMaxCells) return new Observations(persisted, null);
    List<List<ClusteredLogit.Observation>> partitions = new ArrayList<>(persisted.glom().collect());
    persisted.unpersist(false);
    return new Observations(null, partitions);
  }

  /** Each partition passed over, the partitions' results added. */
  <T> T aggregate(FlatMapFunction<Iterator<ClusteredLogit.Observation>, T> pass, Function2<T, T, T> add) {
    if (distributed != null) return distributed.mapPartitions(pass).treeReduce(add, 2);
    try {
      T total = null;
      for (List<ClusteredLogit.Observation> partition : local) {
        for (Iterator<T> it = pass.call(partition.iterator()); it.hasNext(); ) {
          T value = it.next();
          total = total == null ? value : add.call(total, value);
        }
      }
      return total;
    } catch (Exception e) {
      throw new IllegalStateException("A pass over the binned rows failed", e);
    }
  }

  /** Each row mapped, the values added. */
  <T> T mapReduce(Function<ClusteredLogit.Observation, T> map, Function2<T, T, T> add) {
    if (distributed != null) return distributed.map(map).reduce(add);
    return aggregate(it -> {
      List<T> partial = new ArrayList<>(1);
      T sum = null;
      while (it.hasNext()) {
        T value = map.call(it.next());
        sum = sum == null ? value : add.call(sum, value);
      }
      if (sum != null) partial.add(sum);
      return partial.iterator();
    }, add);
  }

  /** Whether the rows are held on the driver. */
  boolean isLocal() {
    return local != null;
  }

  /** Frees the executors' copy (the driver's goes with this object). */
  void release() {
    if (distributed != null) distributed.unpersist(false);
  }
}
