"""Transactions on the async memory adapter (the reference for async application code).

The adapter runs on the event loop, so a transaction cannot rely on a thread lock: other
tasks' calls wait for the open block on an asyncio lock, and the block's own task (with the
tasks it starts) goes on."""

from __future__ import annotations

import asyncio

import pytest

from dataknobs_data import AsyncMemoryDatabase, Record


class Boom(Exception):
    pass


def test_async_memory_declares_transactions() -> None:
    assert AsyncMemoryDatabase().capabilities.transactions is True


def test_commit_rollback_and_savepoint() -> None:
    async def main() -> None:
        db = AsyncMemoryDatabase()
        async with db.transaction():
            await db.create(Record({"n": 1}, id="a"))
        with pytest.raises(Boom):
            async with db.transaction():
                await db.create(Record({"n": 2}, id="b"))
                await db.delete("a")
                raise Boom
        assert await db.exists("a") and not await db.exists("b")
        async with db.transaction():
            await db.create(Record({"n": 3}, id="c"))
            with pytest.raises(Boom):
                async with db.transaction():  # a savepoint: only its own writes go
                    await db.create(Record({"n": 4}, id="d"))
                    raise Boom
        assert await db.exists("c") and not await db.exists("d")

    asyncio.run(main())


def test_another_tasks_write_waits_for_the_block_and_survives_its_rollback() -> None:
    async def main() -> None:
        db = AsyncMemoryDatabase()
        entered, about_to_write = asyncio.Event(), asyncio.Event()

        async def block() -> None:
            try:
                async with db.transaction():
                    await db.create(Record({"n": 1}, id="inside"))
                    entered.set()
                    await about_to_write.wait()
                    raise Boom
            finally:
                entered.set()  # lets the other task finish even if the block failed early

        async def other() -> None:
            await entered.wait()
            about_to_write.set()
            # without the lock this write would land inside the block and be rolled back
            await db.create(Record({"n": 2}, id="outside"))

        results = await asyncio.gather(block(), other(), return_exceptions=True)
        assert isinstance(results[0], Boom) and results[1] is None
        assert not await db.exists("inside")
        assert (await db.read("outside")) is not None

    asyncio.run(main())


def test_a_task_started_inside_the_block_joins_it() -> None:
    async def main() -> None:
        db = AsyncMemoryDatabase()
        with pytest.raises(Boom):
            async with db.transaction():
                await asyncio.create_task(db.create(Record({"n": 1}, id="child")))
                raise Boom
        assert not await db.exists("child")

    asyncio.run(main())
