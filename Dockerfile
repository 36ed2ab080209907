# agent-telemetry with the demo's SDKs: the image of the `demo` service in docker-compose.yml
# (`docker compose --profile demo up -d`). Also usable for `agent-telemetry fake-provider`.
FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir ".[demo]"

# No root, no writes outside /tmp: the demo only talks to the network.
USER nobody
ENTRYPOINT ["agent-telemetry"]
CMD ["demo"]
