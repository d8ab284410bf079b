# The newswire image: every `newswire` command (ingest, processor, gateway, topics, publish…).
# Built by docker-compose.yml; run one service per container, e.g.
#   docker run --rm newswire:local newswire gateway --host 0.0.0.0 --bootstrap kafka:9092
#
# Two stages: the first builds the wheel (with gcc, and the C write loop required), the second installs
# that wheel and nothing from the source tree, so the image runs exactly the package a user installs.
FROM python:3.11-slim AS wheel

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 NEWSWIRE_BUILD_EXTENSION=yes
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY newswire ./newswire
COPY schemas ./schemas
COPY producers ./producers
COPY processors ./processors
COPY gateway ./gateway
RUN pip wheel --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=wheel /wheels /wheels
RUN pip install /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /home/newswire --create-home newswire

USER newswire
WORKDIR /home/newswire
EXPOSE 8080 8765
CMD ["newswire", "--help"]
