"""The alert tests' own waiting: a query that matches nothing yet is not a result."""

from __future__ import annotations

import pytest

from tests.alerts import harness
from tests.alerts.harness import poll


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "POLL_S", 0)


def test_poll_waits_past_an_empty_query_result() -> None:
    answers = iter([[], [], [{"value": [0, "10"]}]])
    assert poll("samples", lambda: next(answers), 30) == [{"value": [0, "10"]}]


def test_poll_names_what_it_waited_for_when_nothing_came() -> None:
    with pytest.raises(AssertionError, match=r"^samples: not within 0s$"):
        poll("samples", lambda: [], 0)
