"""A small application whose store is injected: stock levels of a warehouse.

Its functions ask for ``Provide["stock"]``; ``inventory.yaml`` says what that is (a file
store by default). Its tests (tests/) use the dataknobs-data pytest plugin's fixtures::

    cd examples/inventory_app && python -m pytest
"""

from __future__ import annotations

import sys

from dependency_injector.wiring import Provide, inject

from dataknobs_data import Operator, Query, Record, SortOrder, SyncDatabase
from dataknobs_data.containers import DatabasesContainer


class OutOfStock(ValueError):
    """Taking more of an item than is in stock."""


@inject
def receive(sku: str, quantity: int, db: SyncDatabase = Provide["stock"]) -> int:
    """Add ``quantity`` of ``sku``; returns the new level."""
    current = db.read(sku)
    level = (current["quantity"] if current is not None else 0) + quantity
    db.upsert(Record({"sku": sku, "quantity": level}, id=sku))
    return level


@inject
def ship(sku: str, quantity: int, db: SyncDatabase = Provide["stock"]) -> int:
    """Take ``quantity`` of ``sku`` out; OutOfStock when there is not enough."""
    current = db.read(sku)
    level = current["quantity"] if current is not None else 0
    if quantity > level:
        raise OutOfStock(f"{sku}: {level} in stock, {quantity} asked")
    db.upsert(Record({"sku": sku, "quantity": level - quantity}, id=sku))
    return level - quantity


@inject
def low_stock(threshold: int, db: SyncDatabase = Provide["stock"]) -> list[str]:
    """The SKUs below ``threshold``, fewest first."""
    query = (Query().filter("quantity", Operator.LT, threshold)
             .sort("quantity", SortOrder.ASC))
    return [rec["sku"] for rec in db.search(query)]


def build_container(config_path: str) -> DatabasesContainer:
    """The composition root: configuration in, wired container out (no I/O yet)."""
    container = DatabasesContainer.from_yaml(config_path)
    container.wire(modules=[__name__])
    return container


def main(argv: list[str]) -> int:
    container = build_container(argv[1] if len(argv) > 1 else "inventory.yaml")
    try:
        receive("bolt", 40)
        receive("nut", 3)
        ship("bolt", 5)
        print("low:", ", ".join(low_stock(10)))
    finally:
        container.shutdown_resources()
        container.unwire()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
