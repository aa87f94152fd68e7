"""The built activities' columns a full normalise does not need until it writes them.

A full normalise of a million staged rows builds a million activities; held in Polars
they took some 800 MB beside what DuckDB needs to write them. Only a few columns are read
again before the write (merge groups, organisers named in the text, overrides, the
state: ``transforms.activities.for_merging``). So each part's built rows are checked
against the activity contract row by row (uniqueness is checked on the kept columns,
``renkei.normalize.activities``) and written as a Parquet file, on the thread that built
them; the write reads them back from the files, joined to the kept columns by ``_row``
(``activities_spilled_view.sql``). The files live in a folder beside the warehouse and
are removed when the normalise ends, whatever its outcome. A staging of one part
(``SPILL_FROM_ROWS``, renkei.normalize.activities) is built in memory as before: its
folder would cost more than it saves (~20 ms a normalise).
"""

from __future__ import annotations

import shutil
import tempfile
from itertools import count
from pathlib import Path
from types import TracebackType

import duckdb
import polars as pl

from transforms import contracts
from transforms.activities import for_merging

__all__ = ["Payload"]


class Payload:
    """A folder of Parquet parts; ``spill`` is ``build_activities_from``'s ``spill``."""

    def __init__(self, warehouse: Path) -> None:
        # ``.<warehouse file>.normalize-*`` beside it. A normalise holds the warehouse open
        # for writing, so no other normalise of it is running: such a folder left here is a
        # killed run's (derived data only), and goes. (Another warehouse in the same folder
        # has folders of its own name.)
        self.beside = warehouse.parent
        self._prefix = f".{warehouse.name}.normalize-"
        for stale in self.beside.glob(f"{self._prefix}*"):
            shutil.rmtree(stale, ignore_errors=True)
        self.folder: Path | None = None  # made by start(): a small build spills nothing
        self._names = count()  # next() of a count is atomic: threads get distinct names

    def start(self) -> Payload:
        """Make the folder; ``spill`` may be handed to the build from now on."""
        self.folder = Path(tempfile.mkdtemp(prefix=self._prefix, dir=self.beside))
        return self

    def spill(self, good: pl.DataFrame) -> pl.DataFrame:
        contracts.check(good, contracts.ACTIVITY_ROWS)  # ids are unique: checked when kept
        good.drop("_staged_jst", "staged_at", "position").write_parquet(
            # LZ4: as fast to write as no compression at all (measured); statistics unread
            self._started() / f"{next(self._names)}.parquet",
            compression="lz4",
            statistics=False,
        )
        return for_merging(good)

    def relation(self, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        """Every part, as one relation (read when a statement reads it)."""
        return con.read_parquet(str(self._started() / "*.parquet"))

    def _started(self) -> Path:
        if self.folder is None:
            raise RuntimeError("Payload.start() was not called")
        return self.folder

    def __enter__(self) -> Payload:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
