"""`agent-telemetry stack check`: which receiver files a compose user still has to create."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from agent_telemetry.cli import main
from agent_telemetry.tooling.stack.receiver_files import receiver_files

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
SLACK = "the Slack incoming-webhook URL (https://hooks.slack.com/services/...)"
PAGERDUTY = "the PagerDuty Events API v2 integration key"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The compose file and Alertmanager's config as committed, with an empty secrets/; the cwd."""
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copytree(REPO / "prometheus" / "alertmanager", tmp_path / "prometheus" / "alertmanager")
    (tmp_path / "secrets").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], compose_file: Path) -> tuple[int, list[str]]:
    code = main(["stack", "check", "--compose-file", str(compose_file)])
    return code, capsys.readouterr().out.splitlines()


def test_every_secret_file_alertmanager_reads_is_in_the_secrets_dir_compose_mounts_and_names() -> None:
    header = COMPOSE_FILE.read_text().split("\nname:", 1)[0]
    named_in_comment = set(re.findall(r"secrets/(\w+)", header))
    host_paths = {f.host_path for f in receiver_files([COMPOSE_FILE])}
    assert host_paths == {REPO / "secrets" / name for name in named_in_comment}
    assert named_in_comment == {"slack_api_url", "pagerduty_routing_key"}


def test_the_secrets_dir_is_committed_but_its_content_is_not() -> None:
    assert (REPO / "secrets" / ".gitignore").read_text().splitlines()[1:] == ["*", "!.gitignore"]


def test_check_names_each_missing_file_with_what_to_put_there_and_fails(checkout, capsys) -> None:
    code, lines = check(capsys, checkout / "docker-compose.yml")
    assert code == 1
    assert lines == [
        f"missing: secrets/pagerduty_routing_key: put {PAGERDUTY} in it (routing_key_file in "
        "receivers[critical].pagerduty_configs[0], read as /etc/alertmanager/secrets/pagerduty_routing_key)",
        f"missing: secrets/slack_api_url: put {SLACK} in it (api_url_file in "
        "receivers[critical].slack_configs[0], read as /etc/alertmanager/secrets/slack_api_url)",
    ]


def test_check_reports_an_empty_file_and_only_the_files_still_missing(checkout, capsys) -> None:
    (checkout / "secrets" / "pagerduty_routing_key").write_text("0123456789abcdef0123456789abcdef\n")
    (checkout / "secrets" / "slack_api_url").write_text("\n")
    code, lines = check(capsys, checkout / "docker-compose.yml")
    assert code == 1
    assert [line.split(": put")[0] for line in lines] == ["empty: secrets/slack_api_url"]


def test_check_says_ok_in_one_line_when_every_file_exists(checkout, capsys) -> None:
    (checkout / "secrets" / "pagerduty_routing_key").write_text("0123456789abcdef0123456789abcdef\n")
    (checkout / "secrets" / "slack_api_url").write_text("https://hooks.slack.com/services/T0/B0/x\n")
    code, lines = check(capsys, checkout / "docker-compose.yml")
    assert code == 0
    assert lines == [
        "stack check: OK, every receiver file Alertmanager reads exists "
        "(secrets/pagerduty_routing_key, secrets/slack_api_url)"
    ]


def test_check_resolves_relative_paths_and_webhook_url_files_through_the_services_mounts(
    tmp_path, monkeypatch, capsys
) -> None:
    """A relative *_file resolves against the config's directory in the container, then to the host."""
    (tmp_path / "am").mkdir()
    (tmp_path / "keys").mkdir()
    (tmp_path / "am" / "config.yml").write_text(
        yaml.safe_dump(
            {
                "route": {"receiver": "hook"},
                "receivers": [{"name": "hook", "webhook_configs": [{"url_file": "keys/hook_url"}]}],
            }
        )
    )
    (tmp_path / "compose.yml").write_text(
        yaml.safe_dump(
            {
                "services": {
                    "am": {
                        "image": "prom/alertmanager:v0.28.1",
                        "command": ["--config.file=/cfg/config.yml"],
                        "volumes": [
                            "./am/config.yml:/cfg/config.yml:ro",
                            {"type": "bind", "source": "./keys", "target": "/cfg/keys"},
                        ],
                    }
                }
            }
        )
    )
    monkeypatch.chdir(tmp_path)
    code, lines = check(capsys, tmp_path / "compose.yml")
    assert (code, lines) == (
        1,
        [
            "missing: keys/hook_url: put the URL the webhook receiver posts alerts to in it "
            "(url_file in receivers[hook].webhook_configs[0], read as /cfg/keys/hook_url)"
        ],
    )


def test_check_reports_a_file_no_mount_provides(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "alertmanager.yml").write_text(
        "route: {receiver: s}\nreceivers:\n  - name: s\n"
        "    slack_configs: [{api_url_file: /run/secrets/slack, channel: '#a'}]\n"
    )
    (tmp_path / "compose.yml").write_text(
        "services:\n  am:\n    image: prom/alertmanager:v0.28.1\n"
        "    volumes: ['./alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro', 'data:/alertmanager']\n"
    )
    monkeypatch.chdir(tmp_path)
    code, lines = check(capsys, tmp_path / "compose.yml")
    assert (code, lines) == (
        1,
        [
            "not mounted: /run/secrets/slack: no bind mount of the compose file provides it "
            "(api_url_file in receivers[s].slack_configs[0])"
        ],
    )


def test_check_explains_a_compose_file_without_alertmanager_in_one_line(tmp_path, capsys) -> None:
    (tmp_path / "compose.yml").write_text("services:\n  web:\n    image: nginx:1\n")
    code = main(["stack", "check", "--compose-file", str(tmp_path / "compose.yml")])
    assert code == 2
    assert capsys.readouterr().err == (
        f"stack check: {tmp_path / 'compose.yml'}: no service runs the prom/alertmanager image\n"
    )


def test_check_reads_override_files_as_compose_does(checkout, capsys) -> None:
    """A later -f file's mount of the same container path replaces the earlier one's."""
    (checkout / "docker-compose.prod.yml").write_text(
        "services:\n  alertmanager:\n    volumes: ['./prod-secrets:/etc/alertmanager/secrets:ro']\n"
    )
    (checkout / "prod-secrets").mkdir()
    (checkout / "prod-secrets" / "slack_api_url").write_text("https://hooks.slack.com/services/T0/B0/x\n")
    code = main(["stack", "check", "-f", "docker-compose.yml", "--compose-file", "docker-compose.prod.yml"])
    lines = capsys.readouterr().out.splitlines()
    assert (code, [line.split(": put")[0] for line in lines]) == (
        1,
        ["missing: prod-secrets/pagerduty_routing_key"],
    )
