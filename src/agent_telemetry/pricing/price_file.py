"""The price override file (``AGENT_TELEMETRY_PRICES``): loading, validation and model matching.

Format (prices in USD per million tokens)::

    models:
      - model: gpt-4o-mini          # exact name, case-insensitive
        provider: openai            # optional: only for this gen_ai.provider.name
        input: 0.15
        output: 0.60
        cache_read: 0.075           # optional, defaults to `input`
        cache_write: 0.15           # optional, defaults to `input`
      - model: "my-finetune-*"      # glob (*, ?, [...]); a prefix is "prefix*"
        input: 1
        output: 2

Matching: an exact name beats any glob; among exact names a provider-specific entry beats one without a
provider; globs are tried in file order and the first match wins, so list specific patterns first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_telemetry.pricing.model_price import ModelPrice

_GLOB_CHARS = frozenset("*?[")
_PRICE_FIELDS = ("input", "output", "cache_read", "cache_write")
_STRING_FIELDS = ("model", "provider")


class PriceFileError(ValueError):
    """The price file cannot be read or is invalid; the message names the file, entry and field."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {problem}" for problem in problems))


@dataclass(frozen=True, slots=True)
class PriceOverride:
    """One price entry: ``model`` is an exact name or a glob; ``provider`` None means any provider."""

    model: str
    price: ModelPrice
    provider: str | None = None

    @property
    def is_glob(self) -> bool:
        return not _GLOB_CHARS.isdisjoint(self.model)


# Strict: YAML `yes`/"1.5" are not prices; a bool or string would otherwise coerce silently.
_Price = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
_Name = Annotated[str, Field(strict=True, min_length=1, pattern=r"\S")]


class _EntrySchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: _Name
    provider: _Name | None = None
    input: _Price
    output: _Price
    cache_read: _Price | None = None
    cache_write: _Price | None = None


class _FileSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: list[Any]


def load_price_file(path: str | os.PathLike[str]) -> list[PriceOverride]:
    """Read and validate a price file; raise `PriceFileError` listing every problem found."""
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            document = yaml.safe_load(f)
    except OSError as e:
        raise PriceFileError(name, [f"cannot read price file: {e.strerror or e}"]) from e
    except yaml.YAMLError as e:
        raise PriceFileError(name, [f"invalid YAML: {_yaml_problem(e)}"]) from e
    return parse_price_document(document, name)


def parse_price_document(document: object, name: str) -> list[PriceOverride]:
    """Validate an already-parsed document; ``name`` is used in error messages."""
    if not isinstance(document, Mapping):
        raise PriceFileError(name, ["expected a mapping with a 'models' list"])
    try:
        raw_entries = _FileSchema.model_validate(document).models
    except ValidationError as e:
        raise PriceFileError(name, [_file_problem(error) for error in e.errors()]) from None

    problems: list[str] = []
    overrides: list[PriceOverride] = []
    seen: dict[tuple[str | None, str], int] = {}
    for index, raw in enumerate(raw_entries):
        where = _entry_label(index, raw)
        if not isinstance(raw, Mapping):
            problems.append(f"{where}: expected a mapping")
            continue
        try:
            entry = _EntrySchema.model_validate(raw)
        except ValidationError as e:
            problems.extend(f"{where}: {_entry_problem(error)}" for error in e.errors())
            continue
        override = _to_override(entry)
        key = (override.provider, override.model)
        if key in seen:
            problems.append(f"{where}: duplicate of models[{seen[key]}]")
            continue
        seen[key] = index
        overrides.append(override)
    if problems:
        raise PriceFileError(name, problems)
    return overrides


def _to_override(entry: _EntrySchema) -> PriceOverride:
    # A cache price that is not given is charged like plain input, as genai-prices does.
    price = ModelPrice(
        input=entry.input,
        output=entry.output,
        cache_read=entry.input if entry.cache_read is None else entry.cache_read,
        cache_write=entry.input if entry.cache_write is None else entry.cache_write,
    )
    provider = entry.provider.strip().lower() if entry.provider is not None else None
    return PriceOverride(model=entry.model.strip().lower(), price=price, provider=provider)


def _entry_label(index: int, raw: object) -> str:
    model = raw.get("model") if isinstance(raw, Mapping) else None
    if isinstance(model, str) and model.strip():
        return f"models[{index}] ({model.strip()})"
    return f"models[{index}]"


def _entry_problem(error: Mapping[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else "?"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}"
    if error["type"] == "missing":
        return f"{field!r} is required"
    if field in _PRICE_FIELDS:
        return f"{field!r} must be a non-negative number"
    if field in _STRING_FIELDS:
        return f"{field!r} must be a non-empty string"
    return f"{field!r}: {error['msg']}"


def _file_problem(error: Mapping[str, Any]) -> str:
    field = str(error["loc"][0]) if error["loc"] else "?"
    if error["type"] == "extra_forbidden":
        return f"unknown top-level key {field!r} (expected 'models')"
    if error["type"] == "missing":
        return "'models' is required"
    return "'models' must be a list"


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return problem


class OverrideTable:
    """Overrides indexed for lookup: exact names in a dict, globs in file order."""

    def __init__(self, overrides: Iterable[PriceOverride]) -> None:
        self._exact: dict[tuple[str | None, str], ModelPrice] = {}
        self._globs: list[PriceOverride] = []
        for override in overrides:
            normalised = PriceOverride(
                model=override.model.lower(),
                price=override.price,
                provider=override.provider.lower() if override.provider is not None else None,
            )
            if normalised.is_glob:
                self._globs.append(normalised)
            else:
                # First entry wins, matching the file's duplicate rule for programmatic overrides too.
                self._exact.setdefault((normalised.provider, normalised.model), normalised.price)

    def __len__(self) -> int:
        return len(self._exact) + len(self._globs)

    def match(self, provider: str, model: str) -> ModelPrice | None:
        provider = provider.lower()
        model = model.lower()
        price = self._exact.get((provider, model)) or self._exact.get((None, model))
        if price is not None:
            return price
        for glob in self._globs:
            if (glob.provider is None or glob.provider == provider) and fnmatchcase(model, glob.model):
                return glob.price
        return None
