# The newswire image: every `newswire` command (ingest, processor, gateway, topics, publish…).
# Built by docker-compose.yml; run one service per container, e.g.
#   docker run --rm newswire:local newswire gateway --host 0.0.0.0 --bootstrap kafka:9092
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Metadata first so the dependency layer is cached while only the code changes.
COPY pyproject.toml setup.py README.md ./
COPY newswire ./newswire
COPY schemas ./schemas
COPY producers ./producers
COPY processors ./processors
COPY gateway ./gateway
# gcc only while installing: it builds the gateway's small C write loop (gateway/_fanout.c)
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install . \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /home/newswire --create-home newswire

USER newswire
WORKDIR /home/newswire
EXPOSE 8080 8765
CMD ["newswire", "--help"]
