"""Session recording: each agent run written to a JSON Lines trajectory, and read back.

Set ``AGENT_TELEMETRY_RECORD_DIR`` and every ``agent_run`` is recorded there as
``<UTC start>-<agent>-<run id>.jsonl``, one event a line; screenshots (only when content capture is
on) go to files beside it. ``agent-telemetry runs`` lists recordings and ``agent-telemetry replay``
steps through one. ``AGENT_TELEMETRY_RECORD_RETENTION_DAYS`` (default 14) bounds how long they stay.
"""

from agent_telemetry.sessions.reader import Recording, RecordingSummary, list_recordings, read_recording
from agent_telemetry.sessions.writer import attach_recorder

__all__ = ["Recording", "RecordingSummary", "attach_recorder", "list_recordings", "read_recording"]
