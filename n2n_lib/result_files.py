"""One file in ``results/`` read and written through a dataclass: the machinery behind `n2n_lib.results`.

A `JsonResult` is a dataclass whose fields are the file's keys (``field(metadata={"key": …})`` when a key is not a
Python name, `optional()` when it may be absent); every value is checked against its field's type hint when the file is
written and when it is read, nested dataclasses included. A `CsvResult` holds a DataFrame whose columns are declared in
``COLUMNS`` and checked the same way. Writes are atomic (`n2n_lib.io`).

``read`` raises `ResultMissing` (an `InputError`) when the file does not exist yet (its notebook has not been run), and
`InputError` naming the file, the key or column, and the notebook to run again when the file does not match.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin, get_type_hints

import pandas as pd

from n2n_lib.errors import InputError
from n2n_lib.io import atomic_write, save_json
from n2n_lib.paths import results_dir

NOTEBOOKS = {
    "01": "01_data_preparation",
    "02": "02_architecture",
    "03": "03_training",
    "04": "04_hyperparameter_tuning",
    "05": "05_results",
}


R = TypeVar("R", bound="_Result")


class ResultMissing(InputError):
    """A results file that does not exist yet: the notebook that writes it has not been run."""


class _Mismatch(ValueError):
    """What in a file, or in a value about to be written, differs from its dataclass (the caller adds file and fix)."""


def optional() -> Any:
    """A field whose key is left out of the file when its value is None (and is None when the key is absent)."""
    return field(default=None, metadata={"optional": True})


def _key(f: dataclasses.Field) -> str:
    return f.metadata.get("key", f.name)


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)


def _expect(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    name = " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__
    raise _Mismatch(f"{where or 'the file'} holds {type(value).__name__} {value!r:.40}, not {name}")


def _check(value: Any, hint: Any, where: str) -> Any:
    """`value` (plain JSON) checked against the type hint `hint`; nested dataclasses are built from their dicts."""
    origin, args = get_origin(hint), get_args(hint)
    if hint is Any:
        return value
    if origin in (Union, types.UnionType):  # X | None
        if value is None and type(None) in args:
            return None
        return _check(value, next(a for a in args if a is not type(None)), where)
    if dataclasses.is_dataclass(hint):
        return _from_json(hint, _expect(value, dict, where), where)
    if origin is list:
        return [_check(v, args[0], f"{where}[{i}]") for i, v in enumerate(_expect(value, list, where))]
    if origin is dict:
        return {k: _check(v, args[1], _join(where, k)) for k, v in _expect(value, dict, where).items()}
    return _expect(value, (int, float) if hint is float else hint, where)


def _from_json(cls: type, data: dict, where: str = "") -> Any:
    """An instance of the dataclass `cls` from a dict with exactly its keys (optional ones may be absent)."""
    hints, fields = get_type_hints(cls), {_key(f): f for f in dataclasses.fields(cls)}
    unexpected = [key for key in data if key not in fields]
    values = {}
    for key, f in fields.items():
        if key in data:
            values[f.name] = _check(data[key], hints[f.name], _join(where, key))
        elif not f.metadata.get("optional"):
            found = ", ".join(repr(_join(where, k)) for k in unexpected)
            renamed = f" ({found} found instead: renamed?)" if unexpected else ""
            raise _Mismatch(f"key {_join(where, key)!r} is missing{renamed}")
    if unexpected:
        raise _Mismatch(f"unexpected key(s) {', '.join(repr(_join(where, k)) for k in unexpected)}")
    return cls(**values)


def _to_json(obj: Any) -> Any:
    """Dataclasses (at any depth) as dicts keyed like the file; optional fields that are None are left out."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            _key(f): _to_json(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if not (f.metadata.get("optional") and getattr(obj, f.name) is None)
        }
    if isinstance(obj, dict):
        return {key: _to_json(value) for key, value in obj.items()}
    return [_to_json(v) for v in obj] if isinstance(obj, (list, tuple)) else obj


class _Result:
    """File name, writing notebook and what the file holds; `read` and `write` around `_parse` and `_save`."""

    FILE: ClassVar[str]  # name in results/
    NOTEBOOK: ClassVar[str]  # "01" … "05": the notebook whose last cell writes it
    WHAT: ClassVar[str]  # what is lost without it, for "notebook 04 has not been run: no tuning table"

    @classmethod
    def path(cls, folder: str | Path | None = None) -> Path:
        return (results_dir() if folder is None else Path(folder)) / cls.FILE

    @classmethod
    def fix(cls) -> str:
        return f"run notebook {cls.NOTEBOOK} (notebooks/{NOTEBOOKS[cls.NOTEBOOK]}.ipynb, or `make run`)"

    @classmethod
    def read(cls: type[R], folder: str | Path | None = None) -> R:
        """The file in `folder` (default results/); ResultMissing if absent, InputError if it does not match."""
        path = cls.path(folder)
        if not path.is_file():
            raise ResultMissing(f"{path} does not exist: notebook {cls.NOTEBOOK} has not been run; {cls.fix()}.")
        try:
            return cls._parse(path)
        except _Mismatch as exc:
            raise InputError(
                f"{path} is not what notebook {cls.NOTEBOOK} writes: {exc}; {cls.fix()} to write it again."
            ) from exc

    @classmethod
    def read_if_present(cls: type[R], folder: str | Path | None = None) -> R | None:
        """`read`, or None when the file does not exist (a file that exists but does not match still raises)."""
        try:
            return cls.read(folder)
        except ResultMissing:
            return None

    def write(self, folder: str | Path | None = None) -> Path:
        """Check the values and write the file atomically to `folder` (default results/); returns its path."""
        try:
            return self._save(self.path(folder))
        except _Mismatch as exc:
            raise InputError(f"{type(self).__name__} cannot be written to {self.FILE}: {exc}.") from exc

    @classmethod
    def _parse(cls: type[R], path: Path) -> R:
        raise NotImplementedError

    def _save(self, path: Path) -> Path:
        raise NotImplementedError


class JsonResult(_Result):
    """A JSON file whose keys are the dataclass's fields (``ROOT``: the one field that is the whole file)."""

    ROOT: ClassVar[str | None] = None

    def to_json(self) -> Any:
        data = _to_json(self)
        return data[self.ROOT] if self.ROOT else data

    @classmethod
    def from_json(cls, data: Any) -> Any:
        if cls.ROOT:
            return cls(**{cls.ROOT: _check(data, get_type_hints(cls)[cls.ROOT], "")})
        return _from_json(cls, _expect(data, dict, ""))

    @classmethod
    def _parse(cls, path: Path) -> Any:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise _Mismatch(f"not valid JSON ({exc})") from exc
        return cls.from_json(data)

    def _save(self, path: Path) -> Path:
        data = self.to_json()
        type(self).from_json(data)  # the checks `read` makes: a wrong key or type fails here, not in the next notebook
        return save_json(data, path)


@dataclass
class CsvResult(_Result):
    """A CSV table with the columns ``COLUMNS`` (name → str, int or float), in that order; ``NA_REP`` for NaN."""

    table: pd.DataFrame
    COLUMNS: ClassVar[dict[str, type]]
    NA_REP: ClassVar[str] = ""
    FLOAT_FORMAT: ClassVar[str | None] = None

    @classmethod
    def _checked(cls, table: pd.DataFrame) -> pd.DataFrame:
        columns = [str(c) for c in table.columns]
        missing = [c for c in cls.COLUMNS if c not in columns]
        unexpected = [c for c in columns if c not in cls.COLUMNS]
        if missing or unexpected:
            raise _Mismatch(
                f"columns {columns}, expected {list(cls.COLUMNS)} (missing {missing}, unexpected {unexpected})"
            )
        for name, kind in cls.COLUMNS.items():
            numeric = pd.api.types.is_integer_dtype if kind is int else pd.api.types.is_numeric_dtype
            if kind is not str and (not numeric(table[name]) or pd.api.types.is_bool_dtype(table[name])):
                raise _Mismatch(f"column {name!r} holds {table[name].dtype} values, not {kind.__name__}")
        return table[list(cls.COLUMNS)]

    def rows(self) -> list[dict[str, Any]]:
        """The table as one dict per row, missing numbers shown as ``NA_REP``."""
        records = self.table.to_dict("records")
        return [
            {k: self.NA_REP if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()} for r in records
        ]

    @classmethod
    def _parse(cls, path: Path) -> Any:
        text = {name: str for name, kind in cls.COLUMNS.items() if kind is str}
        try:
            table = pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[cls.NA_REP])
        except ValueError as exc:  # ParserError, EmptyDataError and UnicodeDecodeError
            raise _Mismatch(f"not a CSV table ({exc})") from exc
        return cls(cls._checked(table))

    def _save(self, path: Path) -> Path:
        table = self._checked(self.table)
        return atomic_write(
            path, lambda tmp: table.to_csv(tmp, index=False, na_rep=self.NA_REP, float_format=self.FLOAT_FORMAT)
        )
