package dev.pql.cli;

import dev.pql.pipeline.Contracts;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Prints the table contracts as Markdown (the README's "Tables" section is this output). */
@Command(name = "tables", mixinStandardHelpOptions = true,
    description = "Print the contract of every output table (name, key, columns, meaning) as Markdown.")
final class TablesCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.print(Contracts.markdown());
    return 0;
  }
}
