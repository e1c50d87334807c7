"""Migrate a CSV file store into a Parquet store: transforms, a crash, resume, verify.

Run: python examples/migrate_resumable.py  (works in a temporary directory)
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.migration import (
    AddDefault,
    Drop,
    MapField,
    MigrationProgress,
    Migrator,
    Rename,
)


class Interrupted(Exception):
    """Stands in for a crash or Ctrl-C in the middle of the migration."""


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="dk-migrate-"))
    source = FileDatabase(path=work / "people.csv")
    source.create_batch([Record({"name": f"person {i}", "age": 18 + i % 60, "tmp": "x",
                                 "email": f"p{i}@example.org"}, id=f"p{i:05d}")
                         for i in range(5_000)])
    target = FileDatabase(path=work / "adults.parquet")

    def settings(progress: Any = None) -> dict[str, Any]:
        return dict(
            query=Query().filter("age", Operator.GTE, 21),
            transforms=[Rename("name", "full_name"), Drop("tmp"), AddDefault("country", "NO"),
                        MapField("email", str.upper),
                        lambda rec: None if rec["full_name"].endswith("7") else rec],
            batch_size=500, checkpoint=work / "checkpoints", migration_id="adults",
            progress=progress)

    def crash_halfway(p: MigrationProgress) -> None:
        print(f"  {p.done:>5}/{p.total}  {p.rate:,.0f} rec/s  eta {p.eta or 0:.2f}s")
        if p.done >= 2_000:
            raise Interrupted

    print("first run (interrupted after 2,000 records):")
    with contextlib.suppress(Interrupted):
        Migrator(source, target, **settings(crash_halfway)).run()
    checkpoint = Migrator(source, target, **settings()).checkpoint()
    assert checkpoint is not None
    print(f"checkpoint: {checkpoint.position} records done, last id {checkpoint.last_id}")

    result = Migrator(source, target, **settings()).run(resume=True, verify=True)
    print(result.summary())
    assert result.verification is not None
    print(result.verification.summary())
    print("one migrated record:", target.read("p00030"))
    source.close()
    target.close()


if __name__ == "__main__":
    main()
