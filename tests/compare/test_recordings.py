"""compare over session recordings, offline: two runs side by side, and two sets of runs."""

import json
from pathlib import Path

from agent_telemetry.cli import main


def write_run(
    directory: Path, run_id: str, *, status: str, cost: float, steps: list[str], version: str = "v1"
) -> Path:
    """A recording as the recorder writes it: run_start, one llm_call or tool per step, run_end."""
    directory.mkdir(parents=True, exist_ok=True)
    events = [{"t": 0.0, "ts": "2026-11-01T10:00:00.000Z", "kind": "run_start", "agent": "research-agent",
               "version": version, "run_id": run_id, "budget": None}]  # fmt: skip
    for step in steps:
        if step.startswith("tool:"):
            name, _, error = step[5:].partition("!")
            events.append({"t": 0.1, "kind": "tool", "tool": name, "duration_s": 0.1, "error": error or None})
        else:
            events.append({"t": 0.1, "kind": "llm_call", "provider": "openai", "operation": "chat", "model": step,
                           "duration_s": 0.5, "error_type": None, "step": True, "tokens": {"input": 100},
                           "cost_usd": cost / max(len(steps), 1)})  # fmt: skip
    calls = sum(not s.startswith("tool:") for s in steps)
    events.append({"t": 2.0, "kind": "run_end", "status": status, "duration_s": 2.0, "steps": calls,
                   "tokens": 100 * calls, "cost_usd": cost, "error": None})  # fmt: skip
    path = directory / f"20261101T100000Z-research-agent-{run_id}.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_two_runs_side_by_side_with_their_first_divergence(tmp_path, capsys):
    a = write_run(tmp_path, "a1", status="success", cost=0.02, steps=["gpt-4o", "tool:search", "gpt-4o"])
    b = write_run(
        tmp_path,
        "b1",
        status="failure",
        cost=0.05,
        steps=["gpt-4o", "tool:browse!TimeoutError"],
        version="v2",
    )
    assert main(["compare", "runs", str(a), str(b)]) == 0
    rows = [
        ("", "A", "B"),
        ("file", a.name, b.name),
        ("agent", "research-agent", "research-agent"),
        ("version", "v1", "v2"),
        ("outcome", "success", "failure"),
        ("duration", "2s", "2s"),
        ("steps", "2", "1"),
        ("llm calls", "2", "1"),
        ("tool calls", "1 (0 failed)", "1 (1 failed)"),
        ("tokens", "200", "100"),
        ("cost", "0.02 USD", "0.05 USD"),
    ]
    assert capsys.readouterr().out.splitlines() == [
        *(f"{name:<10}  {value_a:<40}  {value_b}" for name, value_a, value_b in rows),
        "first divergence: step 2: A tool search, B tool browse failed (TimeoutError)",
    ]


def test_two_identical_runs_do_not_diverge(tmp_path, capsys):
    a = write_run(tmp_path / "a", "a1", status="success", cost=0.02, steps=["gpt-4o"])
    b = write_run(tmp_path / "b", "b1", status="success", cost=0.02, steps=["gpt-4o"])
    assert main(["compare", "runs", str(a), str(b)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "first divergence: none: the same calls and tools in the same order"
    )


def test_a_missing_recording_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["compare", "runs", str(tmp_path / "nope.jsonl"), str(tmp_path / "nope.jsonl")]) == 2
    assert capsys.readouterr().err == (
        f"agent-telemetry compare: {tmp_path / 'nope.jsonl'}: cannot read this recording (No such file or directory)\n"
    )


def two_sets(tmp_path: Path, *, runs: int, failures_b: int, cost_b: float) -> tuple[Path, Path]:
    for i in range(runs):
        write_run(tmp_path / "a", f"a{i}", status="success", cost=0.05 + i * 1e-4, steps=["gpt-4o"])
        status = "failure" if i < failures_b else "success"
        write_run(
            tmp_path / "b", f"b{i}", status=status, cost=cost_b + i * 1e-4, steps=["gpt-4o"], version="v2"
        )
    return tmp_path / "a", tmp_path / "b"


def test_two_sets_of_recordings_compare_with_exact_counts_as_json(tmp_path, capsys):
    dir_a, dir_b = two_sets(tmp_path, runs=40, failures_b=8, cost_b=0.07)
    assert main(["compare", "--recordings", str(dir_a), str(dir_b), "--format", "json"]) == 0
    rows = {row["key"]: row for row in json.loads(capsys.readouterr().out)["metrics"]}
    success = rows["success_rate"]
    assert (success["n_a"], success["n_b"], success["a"], success["b"]) == (40, 40, 1.0, 0.8)
    assert success["verdict"] == "worse"
    assert rows["cost_per_run"]["a"] == sum(0.05 + i * 1e-4 for i in range(40)) / 40
    assert rows["cost_per_run"]["verdict"] == "worse"
    assert rows["steps_per_run"]["verdict"] == "no significant change"


def test_the_gate_over_recordings_exits_1_and_names_the_regression(tmp_path, capsys):
    dir_a, dir_b = two_sets(tmp_path, runs=40, failures_b=8, cost_b=0.07)
    code = main(
        [
            "compare",
            "--recordings",
            str(dir_a),
            str(dir_b),
            "--fail-on",
            "cost_per_run:+10%,success_rate:-2pp",
        ]
    )
    assert code == 1
    regressions = [line for line in capsys.readouterr().out.splitlines() if line.startswith("REGRESSION")]
    assert [line.split(" (p=")[0] for line in regressions] == [
        "REGRESSION: cost_per_run +38.5% passes cost_per_run:+10%",
        "REGRESSION: success_rate -20.0pp passes success_rate:-2pp",
    ]


def test_a_small_set_says_too_little_data_and_the_gate_stays_quiet(tmp_path, capsys):
    dir_a, dir_b = two_sets(tmp_path, runs=5, failures_b=3, cost_b=0.5)
    assert main(["compare", "--recordings", str(dir_a), str(dir_b), "--fail-on", "cost_per_run:+10%"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("cost_per_run"))
    assert line.endswith("too little data")


def test_compare_without_what_to_compare_says_how_in_one_line(capsys):
    assert main(["compare"]) == 2
    assert capsys.readouterr().err.startswith(
        "agent-telemetry compare: compare what? --agent NAME --versions A,B"
    )
