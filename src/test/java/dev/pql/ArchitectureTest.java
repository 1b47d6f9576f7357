package dev.pql;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.conditions.ArchConditions;
import dev.pql.io.DeltaStore;
import org.junit.jupiter.api.Test;

/** The package rules of "How pql is built" (README), checked on pql's own classes. */
class ArchitectureTest {
  private static final JavaClasses PQL = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.pql");

  /** The stages: each owns its transforms, its job and the tables it writes. */
  private static final String[] STAGES = {"dev.pql.ingest..", "dev.pql.features..", "dev.pql.model..",
      "dev.pql.scoring..", "dev.pql.metrics..", "dev.pql.definitions..", "dev.pql.generate.."};

  private static void check(ArchRule rule) {
    rule.check(PQL);
  }

  @Test
  void noClassInCliReadsATable() {
    check(noClasses().that().resideInAPackage("dev.pql.cli..").should().accessClassesThat(
            equivalentTo(DeltaStore.class).or(equivalentTo(org.apache.spark.sql.Dataset.class))
                .or(equivalentTo(org.apache.spark.sql.Row.class)).or(equivalentTo(org.apache.spark.sql.functions.class))
                .or(equivalentTo(org.apache.spark.sql.DataFrameReader.class)))
        .because("commands parse, call a stage and print; tables are read by the stage that owns them"));
  }

  @Test
  void nothingOutsideCliDependsOnCli() {
    check(noClasses().that().resideOutsideOfPackage("dev.pql.cli..").should().dependOnClassesThat()
        .resideInAPackage("dev.pql.cli.."));
  }

  @Test
  void noStageDependsOnThePipeline() {
    check(noClasses().that().resideInAnyPackage(STAGES).or().resideInAnyPackage("dev.pql.io..", "dev.pql.config..",
            "dev.pql.options..", "dev.pql.submit..")
        .should().dependOnClassesThat().resideInAPackage("dev.pql.pipeline.."));
  }

  @Test
  void submitAndTheCommandsOptionsDependOnNoSparkClassEvenIndirectly() {
    check(noClasses().that().resideInAnyPackage("dev.pql.submit..", "dev.pql.options..")
        .should().transitivelyDependOnClassesThat()
        .resideInAnyPackage("org.apache.spark..", "io.delta..", "org.apache.hadoop..", "scala..")
        .because("jobs/pql-submit runs from pql-cluster.jar, which holds no Spark"));
  }

  @Test
  void ioAndConfigDependOnNoStage() {
    check(noClasses().that().resideInAnyPackage("dev.pql.io..", "dev.pql.config..")
        .should().dependOnClassesThat().resideInAnyPackage(STAGES));
  }

  @Test
  void noStageJobCallsAnotherStagesJob() {
    DescribedPredicate<JavaMethodCall> anotherStagesJob = DescribedPredicate.describe("another stage's job",
        call -> call.getTargetOwner().getSimpleName().endsWith("Job")
            && !call.getTargetOwner().getPackageName().equals(call.getOriginOwner().getPackageName()));
    check(noClasses().that().haveSimpleNameEndingWith("Job").should(ArchConditions.callMethodWhere(anotherStagesJob))
        .because("jobs compose pure functions and read another stage's tables through their owner"));
  }
}
