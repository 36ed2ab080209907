"""Zero-code start: imported by ``agent_telemetry_bootstrap.pth`` when AGENT_TELEMETRY_ENABLED is set.

Whatever goes wrong here, the application starts: we write one line and step aside.
"""

from __future__ import annotations

import logging
import sys


def _start() -> None:
    try:
        from agent_telemetry.config import env_flag

        # The .pth only ruled out an empty or plainly false value; "maybe" warns here and means off.
        if not env_flag("AGENT_TELEMETRY_ENABLED"):
            return
        import agent_telemetry

        agent_telemetry.init()  # registers the bounded shutdown at interpreter exit
    except Exception as exc:  # never break the host's start-up
        logging.getLogger("agent_telemetry").debug("agent-telemetry start-up failed", exc_info=True)
        sys.stderr.write(f"agent-telemetry: not started: {exc}\n")


_start()
