"""Zero-code start: imported by ``agent_telemetry_bootstrap.pth`` only when AGENT_TELEMETRY_ENABLED is set.

Whatever goes wrong here, the application starts: we log one line and step aside.
"""

from __future__ import annotations

import atexit
import logging
import sys


def _start() -> None:
    try:
        import agent_telemetry

        agent_telemetry.init()
        atexit.register(agent_telemetry.shutdown)
    except Exception as exc:  # never break the host's start-up
        logging.getLogger("agent_telemetry").debug("agent-telemetry start-up failed", exc_info=True)
        sys.stderr.write(f"agent-telemetry: not started: {exc}\n")


_start()
