"""pql's warehouse API from a notebook, with or without PySpark.

    import pql_notebook as pql
    p = pql.connect()                   # no PySpark: JPype starts pql's JVM in this kernel, Spark local as jobs/pql
    p = pql.connect(spark)              # PySpark or Databricks: the same calls through spark._jvm
    w = p.warehouse("/data/pql")        # dev.pql.api.Warehouse
    p.pandas(w.drivers())               # any Dataset as a pandas DataFrame

Everything pql computes stays in Java (dev.pql.api): this module only starts or finds the JVM and turns the
Datasets it returns into pandas, so a notebook's figures are those `jobs/pql` prints.
"""
import glob
import json
import os

import pandas as pd

# Module openings Spark 3.5 needs on Java 17: the list jobs/pql passes (org.apache.spark.launcher.JavaModuleOptions).
_OPENS = ["java.base/java.lang", "java.base/java.lang.invoke", "java.base/java.lang.reflect", "java.base/java.io",
          "java.base/java.net", "java.base/java.nio", "java.base/java.util", "java.base/java.util.concurrent",
          "java.base/java.util.concurrent.atomic", "java.base/jdk.internal.ref", "java.base/sun.nio.ch",
          "java.base/sun.nio.cs", "java.base/sun.security.action", "java.base/sun.util.calendar",
          "java.security.jgss/sun.security.krb5"]

#: Rows a Dataset brings into pandas at most unless told otherwise: a notebook shows figures, not tables.
ROWS = 10_000


def home():
    """pql's installation: PQL_HOME, else the folder above this notebooks/ folder."""
    return os.environ.get("PQL_HOME") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Pql:
    """The JVM side: pql's packages (`pql.api.Warehouse`, `pql.report.ReportData`, ...), the Java Spark session, and
    Datasets as pandas."""

    def __init__(self, jvm, session, to_pandas):
        self.pql = jvm.dev.pql
        self.api = self.pql.api
        self.session = session
        self._local_date = jvm.java.time.LocalDate
        self._to_pandas = to_pandas

    def date(self, day):
        """A java.time.LocalDate for the API's from/to (None stays None: open)."""
        return None if day is None else self._local_date.parse(str(day)[:10])

    def warehouse(self, path, config=None):
        """dev.pql.api.Warehouse at `path`, with a configuration file as `--config` (None: pql's defaults)."""
        return self.api.Warehouse.open(self.session, path, config)

    def lake(self, path, mapping=None, config=None):
        """dev.pql.api.Lake: the lake at `path` through a mapping file, before anything is ingested."""
        return self.api.Lake.open(self.session, path, mapping, config)

    def pandas(self, dataset, rows=ROWS):
        """A Dataset's first `rows` rows as a pandas DataFrame, its columns in order, dates and times as pandas'."""
        return self._to_pandas(dataset, rows)


def connect(spark=None, config=None, java_options=None):
    """pql in this kernel: through `spark` when given (PySpark, Databricks), else in a JVM JPype starts here.

    The JVM's options: `java_options`, else PQL_JAVA_OPTS as jobs/pql reads it, else a 2 GB heap."""
    if spark is not None:
        from pyspark.sql import DataFrame
        return Pql(spark._jvm, spark._jsparkSession, lambda ds, rows: DataFrame(ds.limit(rows), spark).toPandas())
    import jpype
    root = home()
    if not jpype.isJVMStarted():
        jar = os.path.join(root, "target", "pql.jar")
        if not os.path.exists(jar):
            raise RuntimeError(f"{jar} is missing: build pql first (mvn -B package -DskipTests in {root})")
        os.environ.setdefault("PQL_HOME", root)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        os.environ.setdefault("PQL_LOG_FILE", os.path.join(os.path.expanduser("~"), ".local/state/pql/pql.log"))
        if java_options is None:
            java_options = os.environ.get("PQL_JAVA_OPTS", "-Xmx2g").split()
        options = list(java_options) + ["-XX:+IgnoreUnrecognizedVMOptions", "-Duser.timezone=UTC",
                                        "-Djdk.reflect.useDirectMethodHandle=false",
                                        f"-Dlog4j2.configurationFile={root}/conf/log4j2.properties"]
        options += [f"--add-opens={m}=ALL-UNNAMED" for m in _OPENS]
        jars = [jar] + sorted(glob.glob(os.path.join(root, "target", "lib", "*.jar")))
        # JPype's own Java half: beside its module upstream, in /usr/share/java in Debian's python3-jpype.
        support = [os.path.join(os.path.dirname(os.path.dirname(jpype.__file__)), "org.jpype.jar"),
                   "/usr/share/java/org.jpype.jar"]
        jpype.startJVM(*options, classpath=jars + [j for j in support if os.path.exists(j)][:1], convertStrings=True)
    jvm = _Packages(jpype)
    return Pql(jvm, jvm.dev.pql.api.LocalSpark.session(config), _jpype_pandas)


class _Packages:
    """Java packages by attribute, as PySpark's `spark._jvm` offers them."""

    def __init__(self, jpype):
        self._jpype = jpype

    def __getattr__(self, name):
        return self._jpype.JPackage(name)


def _jpype_pandas(dataset, rows):
    """Through JSON lines, which keep nulls, nested values and every column's name; then pandas' own types."""
    columns = list(dataset.columns())
    records = [json.loads(line) for line in dataset.limit(rows).toJSON().collectAsList()]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for field in dataset.schema().fields():
        kind = field.dataType().typeName()
        if kind in ("date", "timestamp", "timestamp_ntz"):
            frame[field.name()] = pd.to_datetime(frame[field.name()], utc=kind == "timestamp")
    return frame


def interval(estimate):
    """A dev.pql.model.Estimate as (value, lo, hi), None where it has none."""
    return estimate.valueOrNull(), estimate.loOrNull(), estimate.hiOrNull()


def show(frame, name, columns=None):
    """Displays a DataFrame as a table (only `columns`, when given) and keeps all its records as JSON in the
    notebook's output, named, for programs that read an executed notebook (pql's tests do)."""
    from IPython.display import display
    shown = frame if columns is None else frame[columns]
    records = json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15))
    display({"text/html": shown.to_html(index=False, na_rep="-", float_format=_number),
             "text/plain": shown.to_string(index=False, na_rep="-", float_format=_number),
             "application/json": {"name": name, "records": records}}, raw=True)


def _number(value):
    """Figures for people: three significant digits, thousands separated; rounding noise around 0 shows as 0."""
    if abs(value) < 1e-12:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
