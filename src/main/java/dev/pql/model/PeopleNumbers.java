package dev.pql.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The numbers people write in a rule: 1, 2, 3, 5, then 10, 20, 25 and 50 of each power of ten ("2,000+ messages",
 * "250 files"). A discovered cut is reported as the nearest of them when it stays inside the cut's interval.
 */
final class PeopleNumbers {
  private PeopleNumbers() {}

  private static final double[] SMALL = {1, 2, 3, 5};
  private static final double[] MANTISSAS = {1, 2, 2.5, 5};

  /** Every such number from 1 up to {@code max}, ascending. */
  static List<Double> upTo(double max) {
    List<Double> numbers = new ArrayList<>();
    for (double n : SMALL) {
      if (n <= max) numbers.add(n);
    }
    for (double scale = 10; scale <= max; scale *= 10) {
      for (double m : MANTISSAS) {
        if (m * scale <= max) numbers.add(m * scale);
      }
    }
    return numbers;
  }

  /** Whether a value is such a number. */
  static boolean is(double value) {
    if (value < 1 || value != Math.rint(value)) return false;
    if (value < 10) return value == 1 || value == 2 || value == 3 || value == 5;
    double scale = Math.pow(10, Math.floor(Math.log10(value)));
    double m = value / scale;
    for (double mantissa : MANTISSAS) {
      if (Math.abs(m - mantissa) < 1e-9) return true;
    }
    return false;
  }
}
