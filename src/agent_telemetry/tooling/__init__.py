"""The repository's tooling, behind a boundary the library never crosses: the native stack runner, the
rule and dashboard generators, the demo fleet and the fake provider.

Why a subpackage of the one wheel, with optional extras, and not a second distribution: the tooling
is what ``agent-telemetry demo``, ``stack``, ``rules`` and ``dashboards`` run, and the demo's Docker
image and the README install it with the library, so one version of both always ships together and
the console script stays one. Its cost to a plain install is a few hundred KB of modules that nothing
imports: the library never imports ``agent_telemetry.tooling`` (the import contracts and
tests/install check that), and the CLI (``agent_telemetry.cli``) imports only the module of the
command being run. What the tooling needs beyond the library's own dependencies sits in extras, and
each command says in one line which one it misses (``tooling/extras.py``):

- ``demo``: the real ``openai`` and ``anthropic`` clients the demo agents use;
- ``dashboards``: ``grafana-foundation-sdk``, which builds the dashboards' JSON;
- ``dev``: both, plus the test tools.

``rules generate`` and ``fake-provider`` need nothing more. ``stack`` needs a checkout (the committed
collector, Prometheus, Alertmanager and Jaeger configs; the collector's build script) and says so in one line
when run elsewhere; ``rules generate`` and ``dashboards generate`` write into a checkout by default.
"""
