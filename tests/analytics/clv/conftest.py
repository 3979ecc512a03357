"""CDNOW data and fits shared by the CLV tests (fitted once per session: they are reused)."""

from pathlib import Path

import pyarrow as pa
import pytest

from kam.analytics.clv import bgnbd, gamma_gamma, pareto_nbd
from kam.analytics.clv.cdnow import CALIBRATION_END, HOLDOUT_END, read_cdnow_sample
from kam.analytics.clv.results import FitResult, SpendFitResult
from kam.analytics.clv.summary import summarise_table

DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(scope="session")
def cdnow_dir() -> Path:
    """Where the CDNOW files live: shared/data beside the repository."""
    return DATA_DIR


@pytest.fixture(scope="session")
def cdnow_transactions(cdnow_dir: Path) -> pa.Table:
    """The 2,357-customer CDNOW sample of Fader, Hardie & Lee (2005)."""
    return read_cdnow_sample(cdnow_dir / "CDNOW_sample.txt")


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_transactions: pa.Table) -> pa.Table:
    """Weekly summary: calibration 1997-01-01..1997-09-30, holdout to 1998-06-30."""
    return summarise_table(
        cdnow_transactions, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END
    )


@pytest.fixture(scope="session")
def cdnow_bgnbd(cdnow_summary: pa.Table) -> FitResult:
    return bgnbd.fit(cdnow_summary)


@pytest.fixture(scope="session")
def cdnow_pareto(cdnow_summary: pa.Table) -> FitResult:
    return pareto_nbd.fit(cdnow_summary)


@pytest.fixture(scope="session")
def cdnow_spend(cdnow_summary: pa.Table) -> SpendFitResult:
    return gamma_gamma.fit(cdnow_summary)


SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": "-XX:+UseSerialGC -XX:TieredStopAtLevel=1",
}
"""The same settings as tests/analytics/selection/conftest.py: a local Spark for tiny data."""


@pytest.fixture(scope="session")
def clv_spark(tmp_path_factory: pytest.TempPathFactory):
    """One local Spark (2 cores) as an Ibis backend (getOrCreate shares any running one)."""
    import ibis
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("clv-spark-warehouse")
    builder = SparkSession.builder.master("local[2]").appName("kam-clv-tests")
    for key, value in {**SPARK_CONF, "spark.sql.warehouse.dir": str(warehouse)}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()
