"""The inventory application's tests, on the dataknobs-data plugin's fixtures (no conftest):
the configured provider is overridden with a fixture's database for each test."""

from __future__ import annotations

from pathlib import Path

import inventory
import pytest

CONFIG = Path(__file__).resolve().parents[1] / "inventory.yaml"


@pytest.fixture
def container(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("STOCK_PATH", str(tmp_path / "configured.jsonl"))
    made = inventory.build_container(str(CONFIG))
    yield made
    made.shutdown_resources()
    made.unwire()


def test_receive_and_ship_on_memory(container, dk_override, dk_memory_db) -> None:
    dk_override(container.stock, dk_memory_db)
    assert inventory.receive("bolt", 10) == 10
    assert inventory.ship("bolt", 4) == 6
    assert dk_memory_db.read("bolt")["quantity"] == 6


def test_shipping_more_than_stocked_is_refused(container, dk_override, dk_memory_db) -> None:
    dk_override(container.stock, dk_memory_db)
    inventory.receive("nut", 2)
    with pytest.raises(inventory.OutOfStock, match="nut: 2 in stock, 3 asked"):
        inventory.ship("nut", 3)
    assert dk_memory_db.read("nut")["quantity"] == 2


def test_low_stock_on_a_file_store(container, dk_override, dk_file_db) -> None:
    dk_override(container.stock, dk_file_db)
    for sku, quantity in [("bolt", 40), ("nut", 3), ("washer", 7)]:
        inventory.receive(sku, quantity)
    assert inventory.low_stock(10) == ["nut", "washer"]


def test_low_stock_on_postgres(container, dk_override, dk_postgres_db) -> None:
    dk_override(container.stock, dk_postgres_db)
    inventory.receive("nut", 3)
    inventory.receive("bolt", 40)
    assert inventory.low_stock(10) == ["nut"]


def test_the_configured_store_is_used_without_override(container, tmp_path: Path) -> None:
    inventory.receive("bolt", 1)
    container.shutdown_resources()  # closes (and so writes) the file store
    assert (tmp_path / "configured.jsonl").exists()
