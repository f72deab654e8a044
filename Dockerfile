# One image for every pilot node (docker-compose.yml picks role and id by command):
#   docker build -t agri-export-pilot:local .
#   docker run --rm -v pilot-data:/data agri-export-pilot:local init --data-dir /data
#   docker run --rm -v pilot-data:/data -p 127.0.0.1:8101:8000 agri-export-pilot:local \
#       node port --id cn-port-01 --data-dir /data --listen 0.0.0.0:8000
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PILOT_DATA_DIR=/data

WORKDIR /app

# Pinned dependencies first (docs/design.md §10: the lock file), so code changes reuse this layer.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# Then the project itself, without re-resolving anything.
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY node_core ./node_core
COPY exporter_node ./exporter_node
COPY port_node ./port_node
COPY registry_node ./registry_node
COPY pilot ./pilot
RUN pip install --no-deps . && rm -rf build *.egg-info

# Non-root; /data belongs to it so a fresh named volume mounted there is writable.
RUN useradd --system --create-home --uid 10001 --user-group pilot \
    && mkdir -p /data \
    && chown pilot:pilot /data
USER pilot
VOLUME ["/data"]
EXPOSE 8000

ENTRYPOINT ["pilot"]
CMD ["--help"]
