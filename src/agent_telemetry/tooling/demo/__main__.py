import sys

from agent_telemetry.tooling.demo.cli import main

sys.exit(main())
