package dev.pql;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class of many short ingests on a handful of rows: its session interprets expressions instead of generating
 * code for them, as the integration tests' short-lived processes do. There, generating each new query's code, and
 * again in each task (Delta's statistics, the writers' projections, the log's decoders), costs more than it saves:
 * IngestJobTest took 175 s of CPU against 216 s. Classes that compute on more rows (the worlds, the gate's and the
 * intervals' replicates, scoring) keep Spark's generated code, as pql's own sessions do: without it they took up to
 * five times as long (IntervalCoverageTest 19 s against 3 s, ChampionGateTest 54 s against 19 s).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Inherited
public @interface InterpretedExpressions {}
