"""Evolve the records of a store through schema versions, forward and back.

Run: python examples/migrate_schema_evolution.py
"""

from __future__ import annotations

from dataknobs_data import MemoryDatabase, Record
from dataknobs_data.domain.records import FieldType
from dataknobs_data.migration import (
    AddField,
    ChangeType,
    RemoveField,
    RenameField,
    SchemaEvolution,
    SchemaMigration,
)

EVOLUTION = SchemaEvolution([
    SchemaMigration(1, [AddField("status", "active"), RenameField("name", "full_name")],
                    "every person gets a status; 'name' becomes 'full_name'"),
    SchemaMigration(2, [ChangeType("age", to=FieldType.INTEGER, from_=FieldType.STRING),
                        RemoveField("fax", default=None)],
                    "ages were typed in as text; nobody uses fax"),
    SchemaMigration(3, [RenameField("address.zip", "address.postcode")]),
])


def main() -> None:
    db = MemoryDatabase()
    db.create_batch([Record({"name": f"person {i}", "age": str(30 + i), "fax": None,
                             "address": {"zip": f"0{150 + i}"}}, id=f"p{i}")
                     for i in range(5)])
    print("versions before:", EVOLUTION.summary(db).counts)
    result = EVOLUTION.apply(db)
    print(f"applied version {result.to_version}: {result.updated} records updated")
    print("  ", db.read("p1"), db.read("p1").metadata)  # type: ignore[union-attr]
    EVOLUTION.apply(db, 1)
    print("back to version 1:", EVOLUTION.summary(db).counts)
    print("  ", db.read("p1"))
    EVOLUTION.apply(db)
    print("and forward again:", EVOLUTION.summary(db).counts)


if __name__ == "__main__":
    main()
