import sys

from agent_telemetry.demo.cli import main

sys.exit(main())
