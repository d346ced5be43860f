# Lattice — developer entry points. `make help` lists them.
#
# Everything here must work on a machine that has only the Swift toolchain and apt:
# `deps` installs the Debian packages the C modules link against.

SWIFT        ?= swift
APT_PACKAGES := libsodium-dev liblmdb-dev libzstd-dev pkg-config
PKG_MODULES  := libsodium lmdb libzstd
RELEASE_BIN  := .build/release/lattice

.DEFAULT_GOAL := help
.PHONY: help deps build release test soak lint format bench demo clean interop fuzz

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

deps: ## Install libsodium, LMDB and zstd headers with apt when they are missing
	@if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists $(PKG_MODULES); then \
		echo "deps: $(PKG_MODULES) present"; \
	else \
		if [ "$$(id -u)" = 0 ]; then SUDO=; \
		elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
		else echo "deps: missing $(APT_PACKAGES) and not root, and sudo is not installed;" \
			"install them as root: apt-get install $(APT_PACKAGES)" >&2; exit 1; fi; \
		echo "deps: installing $(APT_PACKAGES) with apt"; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null || { \
			echo "deps: apt-get install failed; run it by hand: apt-get install $(APT_PACKAGES)" >&2; exit 1; }; \
	fi
	@# The /metrics test also checks the exposition with Python's prometheus_client, a
	@# standard parser; without it, only our strict in-house parser runs (a warning says so).
	@python3 -c 'import prometheus_client' 2>/dev/null || \
		python3 -m pip install --quiet --disable-pip-version-check prometheus-client >/dev/null 2>&1 || \
		echo "deps: warning: could not pip install prometheus-client; /metrics is checked by the in-house parser only" >&2

build: deps ## Debug build of every target (warnings are errors)
	$(SWIFT) build --build-tests

release: deps
	$(SWIFT) build -c release --product lattice

test: deps ## Run every test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

soak: deps ## Long runs: 1,000 store SIGKILL cycles, thousands of simulated seeds per fault, large repairs
	$(SWIFT) build --build-tests
	LATTICE_SOAK_CYCLES=1000 $(SWIFT) test --skip-build --filter CrashTests.killedWriter
	LATTICE_SIM_SEEDS=500 $(SWIFT) test --skip-build --filter SimulationTests
	LATTICE_REPAIR_SOAK=1 $(SWIFT) test --skip-build --filter RepairHostileInputTests

INTEROP_VENV := .build/noise-interop-venv

interop: ## Check the Noise handshake against PyPI noiseprotocol (needs python3 and PyPI)
	@test -x $(INTEROP_VENV)/bin/python || python3 -m venv $(INTEROP_VENV)
	$(INTEROP_VENV)/bin/pip install --quiet --disable-pip-version-check noiseprotocol==0.3.1
	$(INTEROP_VENV)/bin/python Tests/Fixtures/noise-interop/noise_interop.py check \
		Protocols/vectors/lattice-handshake-v1.json Tests/Fixtures/noise-vectors/*.json \
		Tests/Fixtures/noise-interop/noiseprotocol-transcript.json

# libFuzzer targets for the wire (Tests/Fuzz, a separate package so `swift build` never links
# them). Every Swift module is built with -sanitize=fuzzer,address; each target runs for
# FUZZ_SECONDS. A crash stops the run and is left in fuzz-artifacts/<target>/: fix it, then
# move it to Tests/Fixtures/crashers/<target>/, which `make test` replays.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := frame-decoder:FrameDecoderFuzz handshake-responder:HandshakeResponderFuzz

fuzz: deps ## Fuzz the frame decoder and the handshake responder, FUZZ_SECONDS (60) each
	cd Tests/Fuzz && $(SWIFT) build -Xswiftc -sanitize=fuzzer,address
	@for pair in $(FUZZ_TARGETS); do \
		name=$${pair%%:*}; exe=$${pair##*:}; \
		mkdir -p .build/fuzz-corpus/$$name fuzz-artifacts/$$name; \
		echo "fuzz: $$exe for $(FUZZ_SECONDS) s (corpus .build/fuzz-corpus/$$name)"; \
		SWIFT_BACKTRACE=enable=no Tests/Fuzz/.build/debug/$$exe -max_total_time=$(FUZZ_SECONDS) \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=fuzz-artifacts/$$name/ \
			.build/fuzz-corpus/$$name Tests/Fixtures/fuzz-seeds/$$name Tests/Fixtures/crashers/$$name \
			|| { echo "fuzz: $$exe crashed; the input is in fuzz-artifacts/$$name/" >&2; exit 1; }; \
	done

lint: ## Check formatting against .swift-format
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests Benchmarks

format: ## Rewrite sources in place to match .swift-format
	$(SWIFT) format format --in-place --recursive Package.swift Sources Tests Benchmarks

bench: release ## Run every benchmark (release build); figures are ratios against raw C libraries
	$(RELEASE_BIN) bench all

demo: deps ## Build, start a three-node testnet, replicate writes, show the peers, stop it
	$(SWIFT) build --product lattice
	@sh testnets/demo.sh

clean:
	rm -rf .build
