"""``agent-telemetry compare``: two versions, periods or agents (over Prometheus), or two sets of recorded
runs, metric by metric with a significance test; a regression gate for CI with ``--fail-on``.

Standard library only (``statistics.NormalDist``, ``urllib``): it works on a plain
``pip install agent-telemetry``. ``stats`` holds the tests, ``model`` the rows, ``prometheus`` and
``recordings`` the two sources, ``report`` the output and the gate.
"""
