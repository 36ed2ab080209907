import sys

from agent_telemetry.cli import main

sys.exit(main())
