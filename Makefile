# Entry points for people and CI. Every target installs what it needs, idempotently.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_DIR := $(shell infra/local/ensure-node.sh)
export PATH := $(NODE_DIR):$(PATH)
CDP := bin/cdp
# kafkajs 2.2.4 arms timers with negative delays on Node >= 23, which warns on every run; harmless.
export NODE_OPTIONS := --disable-warning=TimeoutNegativeWarning $(NODE_OPTIONS)

.PHONY: help install build lint typecheck up down status topics migrate test test-unit test-compat test-integration test-chaos demo bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

node_modules/.install-stamp: package.json package-lock.json
	@# npm ci refuses lockfiles that list only this platform's optional binaries; install honours the lock.
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.install-stamp ## install Node dependencies (lockfile)

build: install ## compile TypeScript to dist/
	npx tsc -p tsconfig.build.json

lint: install ## eslint and prettier
	npx eslint .
	npx prettier --check --log-level warn .

typecheck: install ## type-check everything, tests included
	npx tsc -p tsconfig.json --noEmit

up: build ## install (when missing) and start Kafka, schema registry, Redis, ClickHouse
	$(CDP) up

down: build ## stop the local stack (data is kept)
	$(CDP) down

status: build ## show which local services are up
	$(CDP) status

topics: build ## create or update the Kafka topics and register the schemas
	$(CDP) topics apply

migrate: build ## apply ClickHouse migrations
	$(CDP) migrate

test-unit: install ## unit tests (no servers)
	npx jest --selectProjects unit

test-compat: install ## every migration, sink insert and analyst query on current ClickHouse (chdb, in-process)
	python="$$(infra/local/ensure-chdb.sh)"; CDP_CHDB_PYTHON="$$python" npx jest --selectProjects compat

test-integration: up topics migrate ## integration and end-to-end tests against the real local stack
	@# kafkajs logs every refused connection at error level; the outage tests cause many on purpose.
	CDP_LOG_LEVEL=$${CDP_LOG_LEVEL:-fatal} npx jest --selectProjects integration --runInBand

test-chaos: up topics migrate ## crash tests: the resolver SIGKILLed >= 20 times under a merge-heavy stream; the segment engine, privacy service and ClickHouse sink SIGKILLed mid-work (~5 min)
	CDP_LOG_LEVEL=$${CDP_LOG_LEVEL:-fatal} npx jest --selectProjects chaos --runInBand

test: lint typecheck test-unit test-compat test-integration test-chaos ## everything CI runs

demo: up topics migrate ## the end-to-end demo
	$(CDP) demo

bench: up topics migrate ## benchmark with ground truth (BENCH_ARGS=--large for 10k..5M events); writes bench/results/latest.json
	@# The services' logs (kafkajs rebalance chatter included) would bury the progress lines; the bench
	@# checks outcomes itself. CDP_LOG_LEVEL=warn shows them.
	CDP_LOG_LEVEL=$${CDP_LOG_LEVEL:-fatal} node dist/bench/bench.js $(BENCH_ARGS)

clean: ## remove build output (keeps .cdp data)
	rm -rf dist
