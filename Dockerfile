# syntax=docker/dockerfile:1
# kafka-fleet images: one build target per service.
#
#   docker build --target batch-consumer -t kafka-fleet/batch-consumer .
#
# Why one target per service rather than one image and a command per service: each role gets an image whose
# default command, working directory and HEALTHCHECK are its own, so `docker run kafka-fleet/producer` needs no
# arguments and no caller can pair an image with the wrong command. The three targets share every layer but
# their last two lines, so they cost one build and one copy of node_modules.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: the workspace's production dependencies, librdkafka compiled from source ---------------------------
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 \
      libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# CKJS_LINKING=dynamic links librdkafka against the Debian libraries above (the runtime stage installs their
# runtime halves). build_from_source: node-pre-gyp would otherwise fetch a prebuilt binary from GitHub when it
# can reach it. nodedir: node-gyp takes the headers of the Node in this image (the official image unpacks the
# Node release under /usr/local) instead of downloading them.
ENV CKJS_LINKING=dynamic npm_config_build_from_source=true npm_config_nodedir=/usr/local
# Manifests before sources, so that editing a .ts file does not recompile librdkafka (a few minutes).
# Every workspace must be listed here: test/deploy/dockerfile.test.ts checks it.
COPY package.json package-lock.json ./
COPY libs/audit/package.json libs/audit/
COPY libs/kafka/package.json libs/kafka/
COPY libs/processing/package.json libs/processing/
COPY libs/serde/package.json libs/serde/
COPY libs/service/package.json libs/service/
COPY libs/tracing/package.json libs/tracing/
COPY libs/worker/package.json libs/worker/
COPY services/producer/package.json services/producer/
COPY services/single-consumer/package.json services/single-consumer/
COPY services/batch-consumer/package.json services/batch-consumer/
COPY deploy/binding/apply.sh deploy/binding/check.js \
     deploy/binding/confluent-kafka-javascript-1.10.1-librdkafka-coord-timeout.patch \
     deploy/binding/confluent-kafka-javascript-1.10.1-librdkafka-empty-headers.patch \
     deploy/binding/confluent-kafka-javascript-1.10.1-record-conversion.patch \
     deploy/binding/confluent-kafka-javascript-1.10.1-produce-by-name.patch \
     deploy/binding/confluent-kafka-javascript-1.10.1-produce-run.patch \
     deploy/binding/confluent-kafka-javascript-1.10.1-record-packing.patch \
     deploy/binding/confluent-kafka-javascript-1.10.1-share-consumer.patch deploy/binding/
# As in deploy/setup.sh: install scripts run once deploy/binding's patches are applied to the client's sources,
# so that its addon is built once, patched (deploy/binding/README.md); check.js fails the build otherwise.
# What runs of @confluentinc/kafka-javascript is its addon and the two shared libraries it loads through its
# RUNPATH ($ORIGIN/../deps); librdkafka's sources, objects and static archives (~270 MB) are only for building.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && bash deploy/binding/apply.sh \
 && npm rebuild --no-audit --no-fund \
 && node -e 'require("@confluentinc/kafka-javascript")' \
 && node deploy/binding/check.js \
 && cd node_modules/@confluentinc/kafka-javascript \
 && rm -rf deps src build/Release/obj.target build/Release/.deps \
 && find build/deps -mindepth 1 -maxdepth 1 ! -name 'librdkafka*.so.1' -exec rm -rf {} +
# The sources run as TypeScript through tsx (no compile step); .dockerignore admits only package.json files,
# tsconfig.json and libs/*/src, services/*/src.
COPY . .

# ---- runtime: Node, the runtime libraries librdkafka links, tini, the app --------------------------------------
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini libssl3 libsasl2-2 zlib1g libzstd1 liblz4-1 libcurl4 \
 && rm -rf /var/lib/apt/lists/*
# METRICS_HOST: /metrics and the probes on every interface of the container (a scraper reaches them from outside;
# the services' own default is 127.0.0.1, for processes run on a laptop).
ENV NODE_ENV=production METRICS_HOST=0.0.0.0
WORKDIR /app
# Owned by root, run as `node`: the service cannot rewrite its own code.
COPY --from=build /app /app
USER node
EXPOSE 9464
# tini as PID 1: forwards SIGTERM to node (which, as PID 1, would get no default signal handling) and reaps
# librdkafka's and tsx's children. Services are started by their own command, never through npm, which would
# not pass SIGTERM on.
ENTRYPOINT ["/usr/bin/tini", "--"]
# No curl in the image: Node's fetch. Same one-liner as the compose healthcheck (test/deploy checks both).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

FROM runtime AS producer
WORKDIR /app/services/producer
CMD ["node", "--import", "tsx", "src/main.ts"]

FROM runtime AS single-consumer
WORKDIR /app/services/single-consumer
CMD ["node", "--import", "tsx", "src/main.ts"]

FROM runtime AS batch-consumer
WORKDIR /app/services/batch-consumer
CMD ["node", "--import", "tsx", "src/main.ts"]
