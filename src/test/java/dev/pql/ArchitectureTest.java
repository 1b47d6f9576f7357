package dev.pql;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import dev.pql.io.DeltaStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The package rules of "How pql is built" (README), checked on pql's own classes; each is also shown to catch a
 * class of the tests that breaks it on purpose (the ArchFixture* classes).
 */
class ArchitectureTest {
  /** The stages: each owns its transforms, its job and the tables it writes. */
  private static final String[] STAGES = {"dev.pql.ingest..", "dev.pql.features..", "dev.pql.model..",
      "dev.pql.scoring..", "dev.pql.metrics..", "dev.pql.definitions..", "dev.pql.generate.."};

  private static final DescribedPredicate<JavaMethodCall> ANOTHER_STAGES_JOB = DescribedPredicate.describe(
      "another stage's job", call -> call.getTargetOwner().getSimpleName().endsWith("Job")
          && !call.getTargetOwner().getPackageName().equals(call.getOriginOwner().getPackageName()));

  /** Each rule, with the fixture that breaks it. */
  private static final Map<ArchRule, String> RULES = new LinkedHashMap<>();

  static {
    RULES.put(noClasses().that().resideInAPackage("dev.pql.cli..").should().accessClassesThat(
            equivalentTo(DeltaStore.class).or(equivalentTo(org.apache.spark.sql.Dataset.class))
                .or(equivalentTo(org.apache.spark.sql.Row.class)).or(equivalentTo(org.apache.spark.sql.functions.class))
                .or(equivalentTo(org.apache.spark.sql.DataFrameReader.class)))
        .because("commands parse, call a stage and print; tables are read by the stage that owns them"),
        "ArchFixtureCliReadsATable");
    RULES.put(noClasses().that().resideOutsideOfPackage("dev.pql.cli..").should().dependOnClassesThat()
        .resideInAPackage("dev.pql.cli.."), "ArchFixtureDependsOnCli");
    RULES.put(noClasses().that().resideInAnyPackage(STAGES)
        .or().resideInAnyPackage("dev.pql.io..", "dev.pql.config..", "dev.pql.options..", "dev.pql.submit..")
        .should().dependOnClassesThat().resideInAPackage("dev.pql.pipeline.."), "ArchFixtureDependsOnPipeline");
    RULES.put(noClasses().that().resideInAnyPackage("dev.pql.submit..", "dev.pql.options..")
        .should().transitivelyDependOnClassesThat()
        .resideInAnyPackage("org.apache.spark..", "io.delta..", "org.apache.hadoop..", "scala..")
        .because("jobs/pql-submit runs from pql-cluster.jar, which holds no Spark"), "ArchFixtureReachesSpark");
    RULES.put(noClasses().that().resideInAnyPackage("dev.pql.io..", "dev.pql.config..")
        .should().dependOnClassesThat().resideInAnyPackage(STAGES), "ArchFixtureDependsOnAStage");
    RULES.put(noClasses().that().haveSimpleNameEndingWith("Job")
        .should(ArchConditions.callMethodWhere(ANOTHER_STAGES_JOB))
        .because("jobs compose pure functions and read another stage's tables through their owner"),
        "ArchFixtureCallingJob");
  }

  @Test
  void pqlsClassesKeepEveryPackageRule() {
    JavaClasses pql = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.pql");
    RULES.keySet().forEach(rule -> rule.check(pql));
  }

  @Test
  void eachRuleCatchesTheClassThatBreaksIt() {
    JavaClasses withFixtures = new ClassFileImporter().importPackages("dev.pql");
    RULES.forEach((rule, fixture) -> {
      String report = String.join("\n", rule.evaluate(withFixtures).getFailureReport().getDetails());
      assertTrue(report.contains(fixture), rule.getDescription() + " does not catch " + fixture + ":\n" + report);
    });
  }
}
