# gongsync — run `make` for the list of targets.
GO        ?= go
BIN       := bin/gongsync
# What `gongsync version` prints, worked out once per make run; set any of them to
# override it (empty counts as unset; BUILD_DATE=2026-01-02T03:04:05Z makes a release's
# checksums reproducible).
VERSION   := $(or $(VERSION),$(shell git describe --tags --always --dirty 2>/dev/null),devel)
COMMIT    := $(or $(COMMIT),$(shell git rev-parse HEAD 2>/dev/null),unknown)
BUILD_DATE := $(or $(BUILD_DATE),$(shell date -u +%Y-%m-%dT%H:%M:%SZ))
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(BUILD_DATE)
# `make release` builds these GOOS/GOARCH pairs into DIST.
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
DIST      ?= dist
# The test harness starts its own throwaway Postgres clusters from the system's
# initdb/pg_ctl unless TEST_DATABASE_URL names a server to use.
TEST_FLAGS ?=
# How many test binaries run at once: more than the cores, because gongapi's pacing
# test spends about 70s waiting on a 3 requests/s limit while the other packages can
# use the cores (go test's default is one binary per core).
TEST_PARALLEL ?= 4
# Packages whose fuzz targets `make fuzz` explores.
FUZZ_PKGS ?= ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets (coloured on a terminal only, so that a pipe or a file gets plain text)
	@if [ -t 1 ]; then on=$$(printf '\033[36m'); off=$$(printf '\033[0m'); fi; \
	awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %s%-12s%s %s\n", on, $$1, off, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/gongsync
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gongsync

.PHONY: compose
compose: ## docker compose up -d --build, the image stamped with this checkout's version and commit
	VERSION='$(VERSION)' COMMIT='$(COMMIT)' BUILD_DATE='$(BUILD_DATE)' docker compose up -d --build

.PHONY: postgres
postgres: ## make sure PostgreSQL server binaries exist (installs them with apt when root)
	@if [ -n "$$TEST_DATABASE_URL" ]; then exit 0; fi; \
	if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing PostgreSQL server binaries with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "PostgreSQL server binaries (initdb, pg_ctl) are missing: install the 'postgresql' package (e.g. sudo apt-get install -y postgresql) or set TEST_DATABASE_URL"; \
		exit 1; \
	fi

.PHONY: promtool
promtool: ## make sure promtool exists (as root: extracts it from Debian's prometheus package, nothing else)
	@if command -v promtool >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then \
		echo "installing promtool from Debian's prometheus package into /usr/local/bin (the binary only: no service, no dependencies)"; \
		tmp=$$(mktemp -d) && chmod 777 "$$tmp" && cd "$$tmp" && \
		{ apt-get download -qq prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download -qq prometheus >/dev/null; }; } && \
		dpkg-deb --fsys-tarfile prometheus_*.deb | tar -xO ./usr/bin/promtool > /usr/local/bin/promtool.new && \
		chmod 755 /usr/local/bin/promtool.new && mv /usr/local/bin/promtool.new /usr/local/bin/promtool && \
		cd / && rm -rf "$$tmp" && promtool --version 2>&1 | head -1; \
	else \
		echo "promtool is missing: install the 'prometheus' package (e.g. sudo apt-get install -y prometheus) or put a Prometheus release's promtool on PATH; the tests that need it are skipped"; \
		if [ -n "$$CI" ]; then exit 1; fi; \
	fi

.PHONY: rules
rules: promtool ## check the alert rules and run their unit tests (promtool check rules, promtool test rules)
	promtool check rules deploy/prometheus/gongsync-rules.yml
	cd deploy/prometheus && promtool test rules gongsync-rules.test.yml

.PHONY: test
test: postgres promtool ## run the tests against real Postgres (installs its binaries, and promtool, if missing)
	$(GO) test -p $(TEST_PARALLEL) $(TEST_FLAGS) ./...

.PHONY: test-short
test-short: postgres ## the inner loop while working: go test -short skips the long scenarios, soaks and pacing checks (about 65 s of CPU)
	$(GO) test -short -p $(TEST_PARALLEL) $(TEST_FLAGS) ./...

.PHONY: test-race
test-race: postgres promtool ## run the tests under the race detector (slower; CI runs it after make test)
	$(GO) test -race -p $(TEST_PARALLEL) $(TEST_FLAGS) ./...

.PHONY: test-long
test-long: postgres build ## the soak: fault matrix with repeated SIGKILLs (several minutes)
	GONGSYNC_SOAK=1 $(GO) test -count=1 -timeout 25m -v -run 'Soak' ./...

.PHONY: fuzz
fuzz: ## explore every fuzz target (FUZZTIME=10s each); a finding fails the run and is written under testdata/fuzz
	@$(MAKE) --no-print-directory fuzz-explore FUZZ_FINDINGS=fail

.PHONY: fuzz-report
fuzz-report: ## explore every fuzz target and print each finding with its input, without failing (CI)
	@$(MAKE) --no-print-directory fuzz-explore FUZZ_FINDINGS=report

# fuzz-explore runs `go test -fuzz` on every target for FUZZTIME. The committed corpus
# (testdata/fuzz) is replayed by every plain `go test`, so the landing gate stays
# deterministic; exploration finds new inputs, which become work: commit the input
# under testdata/fuzz/<target>/ with the fix.
.PHONY: fuzz-explore
fuzz-explore:
	@found=0; broken=0; \
	for pkg in $$($(GO) list $(FUZZ_PKGS)); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			before=" $$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | tr '\n' ' ') "; \
			if ! $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s} $$pkg > $${TMPDIR:-/tmp}/fuzz-$$f.log 2>&1; then \
				cat $${TMPDIR:-/tmp}/fuzz-$$f.log; new=0; \
				for in in $$(ls $$dir/testdata/fuzz/$$f 2>/dev/null); do \
					case "$$before" in *" $$in "*) ;; *) new=1; echo "FINDING $$f: $$dir/testdata/fuzz/$$f/$$in"; cat "$$dir/testdata/fuzz/$$f/$$in";; esac; \
				done; \
				if [ $$new = 1 ]; then found=$$((found+1)); \
				else broken=$$((broken+1)); echo "fuzz: $$f failed without saving an input (the fuzzing engine, not an input: its log is above)"; fi; \
				if [ "$(FUZZ_FINDINGS)" != report ]; then exit 1; fi; \
			fi; \
		done; \
	done; \
	if [ $$found -gt 0 ]; then echo "fuzz: $$found target(s) found an input that fails (above, with its path); commit it under testdata/fuzz with the fix"; \
	else echo "fuzz: no findings"; fi; \
	if [ $$broken -gt 0 ]; then echo "fuzz: $$broken run(s) failed without an input (see above)"; fi

.PHONY: demo
demo: postgres build ## end to end on local defaults: Postgres, simulated Gong, backfill, sync, SQL results
	$(GO) run ./internal/demo

.PHONY: bench
bench: postgres build ## measure request economy, pacing, throughput, memory, example queries; writes docs/BENCHMARKS.md
	$(GO) run ./internal/bench

.PHONY: schema-doc
schema-doc: postgres ## describe the migrated schema (tables, views, comments, diagram) in docs/SCHEMA.md
	$(GO) run ./internal/schemadoc

.PHONY: lint
lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: staticcheck
staticcheck: ## staticcheck from honnef.co/go/tools
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

.PHONY: release
release: ## static binaries for linux and darwin, amd64 and arm64, in dist/ with SHA256SUMS (version, commit, date stamped)
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; out=$(DIST)/gongsync-$(VERSION)-$$os-$$arch; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $$out ./cmd/gongsync || exit 1; \
	done
	@for f in $(DIST)/gongsync-*; do \
		$(GO) version -m $$f | grep -q 'CGO_ENABLED=0' || { echo "$$f was built with cgo"; exit 1; }; \
	done
	@cd $(DIST) && if command -v sha256sum >/dev/null 2>&1; then sha256sum gongsync-*; else shasum -a 256 gongsync-*; fi > SHA256SUMS
	@echo "$(DIST)/SHA256SUMS:" && cat $(DIST)/SHA256SUMS
	@host=$(DIST)/gongsync-$(VERSION)-$$($(GO) env GOOS)-$$($(GO) env GOARCH); \
	if [ -x $$host ]; then echo "$$host version:"; $$host version; fi

.PHONY: clean
clean: ## remove build output
	rm -rf bin $(DIST)
