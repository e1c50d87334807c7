"""dataknobs-data 0.11's ``DataFrameConverter`` and ``ConversionOptions`` over
``dataknobs_data.dataframes``: the conversions are ``records_to_dataframe`` and
``dataframe_to_records`` with pandas' own dtypes (``dtype_backend="numpy"``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..dataframes import (
    dataframe_to_records,
    python_value,
    records_to_dataframe,
    require_pandas,
)
from ..domain.errors import ConfigurationError
from ..domain.records import Field, Record
from .type_mapper import TypeMapper

pd = require_pandas()

NULL_POLICIES = ("preserve", "drop", "fill")
_NA_POLICY = {"preserve": "null", "drop": "drop", "fill": "fill"}
METADATA_COLUMN = "_metadata"
INDEX_NAME = "record_id"


class MetadataStrategy(Enum):
    """Where 0.11 keeps record metadata in a DataFrame (``validate_conversion`` reads it)."""

    NONE = "none"
    ATTRS = "attrs"
    COLUMNS = "columns"
    MULTI_INDEX = "multi_index"


def merge_nested(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``update``, nested dicts merged key by key (neither is changed)."""
    out = dict(base)
    for key, value in update.items():
        old = out.get(key)
        out[key] = (merge_nested(old, value) if isinstance(old, Mapping)
                    and isinstance(value, Mapping) else value)
    return out


@dataclass
class ConversionOptions:
    """How ``DataFrameConverter`` converts (0.11's fields and defaults).

    ``type_mapping`` gives a dtype per column; ``null_handling`` (or the older name
    ``handle_missing``) says what an NA cell becomes in a record: ``"preserve"`` a null,
    ``"drop"`` no field, ``"fill"`` ``fill_value``. ``datetime_format`` and ``timezone``
    are refused when set: use ``TypeMapper.normalize_timezone`` on the frame."""

    include_metadata: bool = False
    metadata_columns: list[str] | None = None
    flatten_nested: bool = False
    preserve_index: bool = True
    use_index_as_id: bool = False
    type_mapping: dict[str, str] | None = None
    null_handling: str = "preserve"
    datetime_format: str | None = None
    timezone: str | None = None
    preserve_types: bool = True
    index_column: str | None = None
    flatten_json: bool = False
    metadata_strategy: MetadataStrategy = MetadataStrategy.ATTRS
    handle_missing: str = "preserve"
    fill_value: Any = None

    def __post_init__(self) -> None:
        if self.metadata_columns is None:
            self.metadata_columns = []
        if self.type_mapping is None:
            self.type_mapping = {}
        for name in ("null_handling", "handle_missing"):
            if getattr(self, name) not in NULL_POLICIES:
                raise ConfigurationError(
                    f"{name} must be one of {NULL_POLICIES}, got {getattr(self, name)!r}")

    def merge_metadata(self, meta1: dict[str, Any], meta2: dict[str, Any]) -> dict[str, Any]:
        """``meta1`` updated by ``meta2``, nested dicts merged recursively."""
        return merge_nested(meta1, meta2)

    @property
    def na_policy(self) -> str:
        """``dataframe_to_records``' ``na=`` for these options."""
        policy = self.null_handling if self.null_handling != "preserve" else self.handle_missing
        return _NA_POLICY[policy]

    def check_applied(self) -> None:
        """Refuse the options this converter does not apply (0.11 ignored them)."""
        for name in ("datetime_format", "timezone"):
            if getattr(self, name) is not None:
                raise ConfigurationError(
                    f"ConversionOptions.{name}={getattr(self, name)!r} is not applied by the "
                    "converter; convert the column (TypeMapper.normalize_timezone, "
                    "Series.dt.strftime) instead")


def _is_uuid_text(rid: str | None) -> bool:
    return rid is not None and len(rid) == 36 and rid.count("-") == 4


def _row(record: Record, options: ConversionOptions) -> dict[str, Any]:
    if not options.flatten_nested and not (options.include_metadata and record.metadata):
        return record.data
    row: dict[str, Any] = {}
    for name, value in record.data.items():
        if options.flatten_nested and isinstance(value, dict):
            row.update({f"{name}.{key}": inner for key, inner in value.items()})
        else:
            row[name] = value
    if options.include_metadata and record.metadata:
        row[METADATA_COLUMN] = dict(record.metadata)
    return row


class DataFrameConverter:
    """Records to DataFrames and back, as dataknobs-data 0.11 converts them."""

    def __init__(self, type_mapper: TypeMapper | None = None) -> None:
        self.type_mapper = type_mapper or TypeMapper()

    def records_to_dataframe(self, records: Sequence[Record],
                             options: ConversionOptions | None = None) -> Any:
        """One row per record, one column per field in the order fields first appear.

        The index holds the record ids (named ``record_id``) when ``preserve_index`` and
        the ids are meaningful: some record has one, no record has an ``id`` or
        ``record_id`` field, and they are not all UUID text; ``index_column`` makes a
        column the index instead."""
        options = options or ConversionOptions()
        options.check_applied()
        if not records:
            return pd.DataFrame()
        rows = [Record(_row(rec, options), id=rec.id) for rec in records]
        ids = [rec.id for rec in records]
        use_ids = (options.preserve_index and not options.index_column and any(ids)
                   and not any("id" in r.data or "record_id" in r.data for r in records)
                   and not all(_is_uuid_text(rid) for rid in ids if rid))
        df = records_to_dataframe(rows, dtypes=options.type_mapping,
                                  index=INDEX_NAME if use_ids else None,
                                  dtype_backend="numpy")
        if options.index_column and options.index_column in df.columns:
            df = df.set_index(options.index_column)
        return df

    def dataframe_to_records(self, df: Any,
                             options: ConversionOptions | None = None) -> list[Record]:
        """One record per row; ``metadata_columns`` become the record's metadata (a dict
        cell is merged in, another value is keyed by the column name without leading
        underscores), ``use_index_as_id`` takes the ids from the index."""
        options = options or ConversionOptions()
        meta_cols = [c for c in options.metadata_columns or [] if c in df.columns]
        data = df.drop(columns=meta_cols) if meta_cols else df
        records = list(dataframe_to_records(data, na=options.na_policy,  # type: ignore[arg-type]
                                            index_ids=options.use_index_as_id,
                                            fill_value=options.fill_value))
        if meta_cols:
            meta_records = dataframe_to_records(df[meta_cols], index_ids=False)
            for rec, meta in zip(records, meta_records, strict=True):
                for col, value in meta.data.items():
                    if isinstance(value, dict):
                        rec.metadata.update(value)
                    else:
                        rec.metadata[col.lstrip("_")] = value
        return records

    def record_to_series(self, record: Record) -> Any:
        """The record's values as a Series named by its id (nulls as ``pd.NA``)."""
        values = {name: pd.NA if value is None else value for name, value in record.data.items()}
        series = pd.Series(values, dtype=object)
        if record.id:
            series.name = record.id
        return series

    def series_to_record(self, series: Any, record_id: str | None = None) -> Record:
        """A record of the Series' cells as Python values (``_meta_`` entries skipped); the
        id is ``record_id`` or the Series' name."""
        rid = record_id or (None if series.name is None else str(series.name))
        data = {str(key): python_value(value) for key, value in series.items()
                if not str(key).startswith("_meta_")}
        return Record(data, id=rid)

    def validate_conversion(self, records: Sequence[Record], df: Any,
                            options: ConversionOptions | None = None) -> dict[str, Any]:
        """A report comparing ``records`` with the frame converted from them: counts, the
        fields missing from or added to the columns, and (``preserve_types``) the columns
        whose dtype is not the one their fields' type maps to."""
        options = options or ConversionOptions()
        fields: set[str] = set()
        for rec in records:
            fields.update(rec.data)
        columns = {str(c) for c in df.columns}
        if options.metadata_strategy is MetadataStrategy.COLUMNS:
            columns = {c for c in columns if not c.startswith("_meta_")}
        report: dict[str, Any] = {
            "record_count_match": len(records) == len(df),
            "original_record_count": len(records),
            "dataframe_row_count": len(df),
            "field_preservation": {
                "original_fields": sorted(fields), "dataframe_columns": sorted(columns),
                "missing_fields": sorted(fields - columns),
                "extra_columns": sorted(columns - fields)},
            "type_preservation": {},
            "value_accuracy": {},
        }
        if options.preserve_types:
            for rec in records[:10]:
                for name, field in rec.fields.items():
                    self._check_dtype(report, df, name, field)
        return report

    def _check_dtype(self, report: dict[str, Any], df: Any, name: str,
                     field: Field) -> None:
        if name not in df.columns or field.value is None or field.type is None:
            return
        expected = str(self.type_mapper.field_type_to_pandas(field.type))
        actual = str(df[name].dtype)
        if actual != expected:
            report["type_preservation"][name] = {"expected": expected, "actual": actual}


__all__ = ["ConversionOptions", "DataFrameConverter", "MetadataStrategy", "merge_nested"]
