"""An application that gets its repository injected: a tiny team roster.

The functions below never name a backend; they ask for ``Provide["people"]`` and the
container built from a YAML file decides what that is. Run it on either configuration::

    python examples/people_app.py examples/config/people-memory.yaml
    python examples/people_app.py examples/config/people-file.yaml   # same code, a file store

Tests override the provider instead (see tests/containers/test_people_app.py)::

    with container.people.override(providers.Singleton(MemoryDatabase)):
        add_person("Ada", 36, "core")
"""

from __future__ import annotations

import sys

from dependency_injector.wiring import Provide, inject

from dataknobs_data import Operator, Query, Record, SortOrder, SyncDatabase
from dataknobs_data.containers import DatabasesContainer


@inject
def add_person(name: str, age: int, team: str,
               db: SyncDatabase = Provide["people"]) -> str:
    """Store a person; returns the id (the name, lower-cased)."""
    return db.upsert(Record({"name": name, "age": age, "team": {"name": team}},
                            id=name.lower()))


@inject
def roster(team: str, db: SyncDatabase = Provide["people"]) -> list[str]:
    """The names in ``team``, oldest first."""
    query = Query().filter("team.name", Operator.EQ, team).sort("age", SortOrder.DESC)
    return [rec["name"] for rec in db.search(query)]


@inject
def headcount(db: SyncDatabase = Provide["people"]) -> int:
    """How many people are stored."""
    return db.count()


def build_container(config_path: str) -> DatabasesContainer:
    """The composition root: configuration in, wired container out (no I/O yet)."""
    container = DatabasesContainer.from_yaml(config_path)
    container.wire(modules=[__name__])
    return container


def main(argv: list[str]) -> int:
    """Add a few people, print the core team's roster, close the store."""
    config = argv[1] if len(argv) > 1 else "examples/config/people-memory.yaml"
    container = build_container(config)
    try:
        for name, age, team in [("Ada", 36, "core"), ("Grace", 45, "core"),
                                ("Linus", 29, "infra")]:
            add_person(name, age, team)
        print("core:", ", ".join(roster("core")))
        print("people stored:", headcount())
    finally:
        container.shutdown_resources()
        container.unwire()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
