# Two commands: `make run` and `make test`. Both install what is missing first.
SWIFT ?= swift
DATA_DIR ?= ./reel-data
APT_PACKAGES := pkg-config libsqlite3-dev libzstd-dev ffmpeg chromium python3-venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: deps build test run release bench golden docs format lint clean

## Install missing Debian packages (apt-get), only those not installed yet.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

## Build, then run every test (unit, property, crash, golden, end-to-end HTTP), then the web client in headless Chromium,
## then the HTTP API fuzzed from Docs/openapi.yaml (Schemathesis).
test: build
	$(SWIFT) test
	bash Tests/Browser/run.sh
	bash Tests/Contract/run.sh

release: deps
	$(SWIFT) build -c release --product reel

## Start the product on its embedded default data directory (a demo catalogue on first start) and print the URL.
PORT ?= 8080
run: release
	.build/release/reel serve --demo --data-dir $(DATA_DIR) --port $(PORT)

## The journal benchmark (see Docs/Performance.md).
bench: release
	.build/release/reel bench journal --json

## Write golden fixtures for a new format version: make golden VERSION=v2 (never overwrites).
golden: build
	.build/debug/reel journal golden Journal/golden/$(VERSION)

## DocC documentation for the public API (library `Reel`), as a static site in .build/docs.
docs: deps
	$(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target Reel \
	  --disable-indexing --transform-for-static-hosting --output-path .build/docs
	@echo "documentation: .build/docs/documentation/reel/index.html"

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

lint:
	$(SWIFT) format lint --recursive Sources Tests Package.swift

clean:
	rm -rf .build
