"""Record streams: batching, filtering and transforming any iterator of records, sync or
async, each written once as a flow (``ports.flows``) and run by the driver that fits.

``StreamProcessor`` is dataknobs-data 0.11's class of these helpers, under its names; the
ports' ``stream_transform`` is ``transform_stream`` over ``stream_read``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

from ..domain.errors import ConfigurationError, ValidationError
from ..domain.records import Record
from .flows import Apply, Emit, Flow, Take, astream_flow, stream_flow

Predicate = Callable[[Record], bool | Awaitable[bool]]
Transform = Callable[[Record], Record | Awaitable[Record | None] | None]


def stream_source(items: object, *, allow_async: bool) -> Any:
    """The iterator over ``items`` (a plain iterable, or with ``allow_async`` an async one
    too), or ``ValidationError`` naming what was given instead."""
    if hasattr(items, "__aiter__"):
        if allow_async:
            return items.__aiter__()
        raise ValidationError([f"a sync database or stream needs a plain iterable, got the "
                               f"async iterable {type(items).__name__} (use the async API)"])
    try:
        return iter(items)  # type: ignore[call-overload]
    except TypeError:
        raise ValidationError(
            [f"expected an iterable of records, got {type(items).__name__}"]) from None


def _batch_size(size: object) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ConfigurationError(f"batch_size must be positive (an integer >= 1), got {size!r}")
    return size


def _batches(source: Any, size: int) -> Flow:
    while batch := (yield Take(source, size)):
        yield Emit(batch)


def _filtered(source: Any, predicate: Predicate) -> Flow:
    while items := (yield Take(source, 1)):
        if (yield Apply(predicate, (items[0],))):
            yield Emit(items[0])


def _transformed(source: Any, transform: Transform | None) -> Flow:
    while items := (yield Take(source, 1)):
        out = items[0] if transform is None else (yield Apply(transform, (items[0],)))
        if out is not None:  # None drops the record
            yield Emit(out)


async def _aiterate(items: Iterable[Record]) -> AsyncIterator[Record]:
    for item in items:
        yield item


class StreamProcessor:
    """Helpers over streams of records (dataknobs-data 0.11's names). The ``async_``
    variants take an async iterator (or a plain one) and accept callbacks that are
    coroutine functions."""

    @staticmethod
    def batch_iterator(iterator: Iterable[Record], batch_size: int) -> Iterator[list[Record]]:
        """Lists of ``batch_size`` records (the last one shorter)."""
        return stream_flow(None, _batches(stream_source(iterator, allow_async=False),
                                          _batch_size(batch_size)))

    @staticmethod
    def async_batch_iterator(iterator: AsyncIterator[Record] | Iterable[Record],
                             batch_size: int) -> AsyncIterator[list[Record]]:
        """``batch_iterator`` over an async iterator."""
        return astream_flow(None, _batches(stream_source(iterator, allow_async=True),
                                           _batch_size(batch_size)))

    @staticmethod
    def filter_stream(iterator: Iterable[Record],
                      predicate: Callable[[Record], bool]) -> Iterator[Record]:
        """The records for which ``predicate`` is true, lazily."""
        return stream_flow(None, _filtered(stream_source(iterator, allow_async=False),
                                           predicate))

    @staticmethod
    def async_filter_stream(iterator: AsyncIterator[Record] | Iterable[Record],
                            predicate: Predicate) -> AsyncIterator[Record]:
        """``filter_stream`` over an async iterator (``predicate`` may be async)."""
        return astream_flow(None, _filtered(stream_source(iterator, allow_async=True),
                                            predicate))

    @staticmethod
    def transform_stream(iterator: Iterable[Record],
                         transform: Callable[[Record], Record | None] | None
                         ) -> Iterator[Record]:
        """``transform(record)`` for each record, lazily; a None result drops the record
        (``transform=None`` passes records through)."""
        return stream_flow(None, _transformed(stream_source(iterator, allow_async=False),
                                              transform))

    @staticmethod
    def async_transform_stream(iterator: AsyncIterator[Record] | Iterable[Record],
                               transform: Transform | None) -> AsyncIterator[Record]:
        """``transform_stream`` over an async iterator (``transform`` may be async)."""
        return astream_flow(None, _transformed(stream_source(iterator, allow_async=True),
                                               transform))

    @staticmethod
    def list_to_iterator(records: Iterable[Record]) -> Iterator[Record]:
        """An iterator over ``records``."""
        return iter(records)

    @staticmethod
    def list_to_async_iterator(records: Iterable[Record]) -> AsyncIterator[Record]:
        """An async iterator over ``records`` (for the async streaming API)."""
        return _aiterate(records)

    @staticmethod
    def iterator_to_async_iterator(iterator: Iterable[Record]) -> AsyncIterator[Record]:
        """An async iterator over a plain one."""
        return _aiterate(iterator)
