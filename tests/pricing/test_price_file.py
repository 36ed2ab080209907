"""The override file: what it accepts, and the exact message for each way it can be wrong."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agent_telemetry.pricing import ModelPrice, PriceFileError, PriceOverride
from agent_telemetry.pricing.price_file import load_price_file


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "prices.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(PriceFileError) as info:
        load_price_file(path)
    assert info.value.path == path
    prefix = f"{path}: "
    assert str(info.value).startswith(prefix)
    return str(info.value).replace(prefix, "")


def test_valid_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        models:
          - model: gpt-x
            provider: openai
            input: 1.25
            output: 10
            cache_read: 0.125
            cache_write: 0
          - model: "My-FT-*"
            input: 2
            output: 8
        """,
    )
    assert load_price_file(path) == [
        PriceOverride("gpt-x", ModelPrice(1.25, 10.0, 0.125, 0.0), provider="openai"),
        # Names are matched case-insensitively; unpriced cache types cost plain input.
        PriceOverride("my-ft-*", ModelPrice(2.0, 8.0, 2.0, 2.0), provider=None),
    ]


def test_empty_models_list_is_valid(tmp_path: Path) -> None:
    assert load_price_file(write(tmp_path, "models: []\n")) == []


def test_error_is_a_value_error() -> None:
    assert issubclass(PriceFileError, ValueError)


ENTRY_ERRORS = [
    ('output: "1.5"', "models[2] (gpt-x): 'output' must be a non-negative number"),
    ("output: -1", "models[2] (gpt-x): 'output' must be a non-negative number"),
    ("output: yes", "models[2] (gpt-x): 'output' must be a non-negative number"),
    ("output: .nan", "models[2] (gpt-x): 'output' must be a non-negative number"),
    ("output: .inf", "models[2] (gpt-x): 'output' must be a non-negative number"),
    ("output: null", "models[2] (gpt-x): 'output' must be a non-negative number"),
    ("output: 1\n    cache_read: -0.5", "models[2] (gpt-x): 'cache_read' must be a non-negative number"),
    ("output: 1\n    cache_write: abc", "models[2] (gpt-x): 'cache_write' must be a non-negative number"),
    ("output: 1\n    provider: 7", "models[2] (gpt-x): 'provider' must be a non-empty string"),
    ("output: 1\n    provider: ''", "models[2] (gpt-x): 'provider' must be a non-empty string"),
    ("output: 1\n    outptu: 1", "models[2] (gpt-x): unknown field 'outptu'"),
    ("cache_read: 1", "models[2] (gpt-x): 'output' is required"),
]


@pytest.mark.parametrize(("line", "message"), ENTRY_ERRORS)
def test_entry_errors(tmp_path: Path, line: str, message: str) -> None:
    text = f"""\
models:
  - {{model: a, input: 1, output: 1}}
  - {{model: b, input: 1, output: 1}}
  - model: gpt-x
    input: 1
    {line}
"""
    assert error_for(tmp_path, text) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("models:\n  - {input: 1, output: 1}\n", "models[0]: 'model' is required"),
        ("models:\n  - {model: 12, input: 1, output: 1}\n", "models[0]: 'model' must be a non-empty string"),
        (
            "models:\n  - {model: '  ', input: 1, output: 1}\n",
            "models[0]: 'model' must be a non-empty string",
        ),
        ("models:\n  - gpt-x\n", "models[0]: expected a mapping"),
        ("models: gpt-x\n", "'models' must be a list"),
        ("prices: []\n", "'models' is required\nunknown top-level key 'prices' (expected 'models')"),
        ("models: []\nversion: 2\n", "unknown top-level key 'version' (expected 'models')"),
        ("", "expected a mapping with a 'models' list"),
        ("- model: gpt-x\n", "expected a mapping with a 'models' list"),
        (
            "models: [\n",
            "invalid YAML: expected the node content, but found '<stream end>' (line 2, column 1)",
        ),
        (
            "models:\n  - {model: gpt-x, input: 1, output: 1}\n  - {model: GPT-X, input: 2, output: 2}\n",
            "models[1] (GPT-X): duplicate of models[0]",
        ),
    ],
)
def test_file_errors(tmp_path: Path, text: str, message: str) -> None:
    assert error_for(tmp_path, text) == message


def test_same_model_for_different_providers_is_not_a_duplicate(tmp_path: Path) -> None:
    text = """\
models:
  - {model: m, provider: openai, input: 1, output: 1}
  - {model: m, provider: anthropic, input: 2, output: 2}
  - {model: m, input: 3, output: 3}
"""
    assert len(load_price_file(write(tmp_path, text))) == 3


def test_every_problem_is_reported_each_on_its_own_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        models:
          - {model: a, input: -1, output: x}
          - {model: b, input: 1}
        """,
    )
    with pytest.raises(PriceFileError) as info:
        load_price_file(path)
    assert str(info.value) == (
        f"{path}: models[0] (a): 'input' must be a non-negative number\n"
        f"{path}: models[0] (a): 'output' must be a non-negative number\n"
        f"{path}: models[1] (b): 'output' is required"
    )
    assert info.value.problems == [
        "models[0] (a): 'input' must be a non-negative number",
        "models[0] (a): 'output' must be a non-negative number",
        "models[1] (b): 'output' is required",
    ]


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "absent.yaml")
    with pytest.raises(PriceFileError) as info:
        load_price_file(path)
    assert str(info.value) == f"{path}: cannot read price file: No such file or directory"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError) as info:
        load_price_file(tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot read price file: Is a directory"
