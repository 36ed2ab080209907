"""The HA deployment's operator runbooks (docs/runbooks/ha/): the standard sections, linked from its README."""

from __future__ import annotations

from ._tools import RUNBOOKS

HA = RUNBOOKS / "ha"
NAMES = ("PrometheusReplicaDown", "AlertmanagerSplitBrain", "SilenceNotPropagated")


def test_each_ha_runbook_has_the_standard_sections_and_is_linked_from_the_ha_readme():
    readme = (HA / "README.md").read_text()
    assert {p.stem for p in HA.glob("*.md")} == {"README", *NAMES}
    for name in NAMES:
        text = (HA / f"{name}.md").read_text()
        assert text.startswith(f"# {name}\n")
        for section in ("## Meaning", "## Impact", "## What to check first", "## How to fix"):
            assert section in text, f"ha/{name}.md lacks {section}"
        assert f"]({name}.md)" in readme, name
