#!/usr/bin/env bash
# Build the world2vec image, run it, and check it from the outside:
#   1. /health answers and the HEALTHCHECK passes; the server runs as a non-root user;
#   2. /similar?concept=cat answers with the bundled model's neighbours;
#   3. a memory written through the API survives a restart of the container
#      (it lives in the /data volume, not in the container).
#
# Too slow for every CI run (the build downloads numpy/numba/faiss wheels: minutes);
# run it by hand after changing the Dockerfile, the packaging or the serve command:
#
#   bash scripts/check_container.sh            # docker if a daemon answers, else podman
#
# Without a Docker engine it uses ../shared/tools/container.sh (podman; set
# CONTAINER_SH to point elsewhere), whose `setup` must have been run once.
# Environment: TAG (image tag, default world2vec:check), PORT (host port, default 18080),
# SKIP_BUILD=1 to check an image already built under TAG.
set -euo pipefail
cd "$(dirname "$0")/.."
TAG=${TAG:-world2vec:check}
PORT=${PORT:-18080}
NAME=world2vec-check-$$
VOLUME=world2vec-check-data-$$
CONTAINER_SH=${CONTAINER_SH:-$(cd .. && pwd)/shared/tools/container.sh}

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  ENGINE=docker
  build() { docker build -t "$TAG" .; }
  RUN_NET=()
else
  [ -f "$CONTAINER_SH" ] || { echo "no Docker engine and no $CONTAINER_SH" >&2; exit 2; }
  ENGINE=podman
  W=${W:-/tmp/world2vec-containers}
  export CONTAINERS_STORAGE_CONF=$W/etc/storage.conf CONTAINERS_CONF=$W/etc/containers.conf
  [ -f "$CONTAINERS_STORAGE_CONF" ] || { echo "run: bash $CONTAINER_SH setup" >&2; exit 2; }
  build() { bash "$CONTAINER_SH" build . "$TAG"; }
  RUN_NET=(--network slirp4netns:port_handler=slirp4netns)
fi
engine() { "$ENGINE" "$@" 2> >(grep -v 'systemd connection' >&2); }

start() {  # start the container on the volume and wait for /health (up to 2 minutes)
  engine run -d --name "$NAME" "${RUN_NET[@]}" -p "127.0.0.1:$PORT:8000" \
    -v "$VOLUME:/data" "$TAG" >/dev/null
  local t0=$SECONDS
  for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
      echo "answering /health $((SECONDS - t0)) s after start"
      return 0
    fi
    sleep 0.5
  done
  engine logs "$NAME" | tail -30
  echo "FAIL: /health did not answer within 2 minutes" >&2
  return 1
}

cleanup() {
  engine rm -f "$NAME" >/dev/null 2>&1 || true
  engine volume rm -f "$VOLUME" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; engine logs "$NAME" 2>&1 | tail -20 >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== build $TAG with $ENGINE"
  build
fi
if command -v hadolint >/dev/null 2>&1; then echo "== hadolint"; hadolint Dockerfile; fi

echo "== run"
start
health=$(curl -fsS "http://127.0.0.1:$PORT/health")
echo "health: $health"
python3 - "$health" <<'EOF' || fail "/health answer"
import json, sys
h = json.loads(sys.argv[1])
assert h["status"] == "ok" and h["dim"] > 0 and h["model"], h
EOF

uid=$(engine exec "$NAME" id -u)
[ "$uid" != 0 ] || fail "the server runs as root"
echo "runs as uid $uid"

if [ "$ENGINE" = podman ]; then
  engine healthcheck run "$NAME" && echo "HEALTHCHECK: healthy" || fail "HEALTHCHECK failed"
else
  engine exec "$NAME" sh -c "$(docker inspect -f '{{join .Config.Healthcheck.Test " "}}' "$TAG" \
    | sed 's/^CMD //')" && echo "HEALTHCHECK: healthy" || fail "HEALTHCHECK failed"
fi

similar=$(curl -fsS "http://127.0.0.1:$PORT/similar?concept=cat&k=5")
echo "similar to cat: $similar" | cut -c1-300
python3 - "$similar" <<'EOF' || fail "/similar?concept=cat"
import json, sys
r = json.loads(sys.argv[1])["results"]
assert len(r) == 5 and all(h["id"] != "cat" and -1 <= h["score"] <= 1 for h in r), r
print("neighbours of cat:", ", ".join(h["id"] for h in r))
EOF

echo "== persistence across a restart"
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d '{"items": [{"id": "check-1", "text": "a cat sleeps on the warm windowsill", "tags": ["pets"]}]}' \
  "http://127.0.0.1:$PORT/memories" >/dev/null || fail "POST /memories"
engine stop -t 10 "$NAME" >/dev/null
engine rm "$NAME" >/dev/null
start
curl -fsS "http://127.0.0.1:$PORT/memories/check-1" | grep -q windowsill \
  || fail "memory check-1 lost after restart"
echo "memory check-1 survived the restart"
echo "OK: image $TAG builds, serves /similar?concept=cat and keeps its memory in /data"
