# world2vec service image.
#
# Stage 1 builds the world2vec wheel (the bundled default model rides inside it as
# package data) and installs it with its dependencies into a virtual environment;
# stage 2 copies only that environment onto a fresh slim base, so no compiler, pip
# cache or source tree ends up in the image (pip and setuptools themselves are removed
# from the environment once it is installed: nothing at run time uses them). The
# server runs as an unprivileged user and keeps its memory (snapshots + write-ahead
# log) in the /data volume.
#
#   docker build -t world2vec .
#   docker run -p 8000:8000 -v world2vec-data:/data world2vec
#   curl 'localhost:8000/similar?concept=cat'
#
# Settings are WORLD2VEC_* environment variables (docs/SERVICE.md), e.g.
# -e WORLD2VEC_API_KEY=... -e WORLD2VEC_THREADS=8.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
# Optional extras, e.g. --build-arg WORLD2VEC_EXTRAS=milvus for --backend milvus.
ARG WORLD2VEC_EXTRAS=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY world2vec ./world2vec
RUN python -m venv /opt/world2vec \
 && /opt/world2vec/bin/pip install "pip>=23" "setuptools>=64" wheel \
 && /opt/world2vec/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && wheel=$(ls /wheels/world2vec-*.whl) \
 && /opt/world2vec/bin/pip install "${wheel}${WORLD2VEC_EXTRAS:+[$WORLD2VEC_EXTRAS]}" \
 && /opt/world2vec/bin/python -c "import world2vec.embeddings as e; m = e.load_model(); print('bundled model:', m.name, m.dim)" \
 && /opt/world2vec/bin/pip uninstall -y -q pip setuptools wheel

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/world2vec/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_NUM_THREADS=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    WORLD2VEC_PORT=8000 \
    WORLD2VEC_DATA=/data
RUN groupadd --system --gid 10001 world2vec \
 && useradd --system --uid 10001 --gid world2vec --home-dir /home/world2vec --create-home \
      --shell /usr/sbin/nologin world2vec \
 && mkdir -p /data/models \
 && chown -R world2vec:world2vec /data
COPY --from=build /opt/world2vec /opt/world2vec
USER 10001:10001
WORKDIR /home/world2vec
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('WORLD2VEC_PORT', '8000'), timeout=4)"]
CMD ["world2vec", "serve", "--host", "0.0.0.0"]
