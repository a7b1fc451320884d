# gongsync — run `make` for the list of targets.
GO        ?= go
BIN       := bin/gongsync
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo devel)
LDFLAGS   := -s -w -X main.version=$(VERSION)
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
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/gongsync
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gongsync

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

.PHONY: test
test: postgres ## run the tests against real Postgres (installs its binaries if missing)
	$(GO) test -p $(TEST_PARALLEL) $(TEST_FLAGS) ./...

.PHONY: test-race
test-race: postgres ## run the tests under the race detector (slower; CI runs it after make test)
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
	@found=0; \
	for pkg in $$($(GO) list $(FUZZ_PKGS)); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$f"; \
			before=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null); \
			if ! $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-10s} $$pkg > $${TMPDIR:-/tmp}/fuzz-$$f.log 2>&1; then \
				found=$$((found+1)); cat $${TMPDIR:-/tmp}/fuzz-$$f.log; \
				for in in $$(ls $$dir/testdata/fuzz/$$f 2>/dev/null); do \
					case " $$before " in *" $$in "*) ;; *) echo "FINDING $$f: $$dir/testdata/fuzz/$$f/$$in"; cat "$$dir/testdata/fuzz/$$f/$$in";; esac; \
				done; \
				if [ "$(FUZZ_FINDINGS)" != report ]; then exit 1; fi; \
			fi; \
		done; \
	done; \
	if [ $$found -gt 0 ]; then echo "fuzz: $$found target(s) found an input that fails (above, with its path); commit it under testdata/fuzz with the fix"; \
	else echo "fuzz: no findings"; fi

.PHONY: demo
demo: postgres build ## end to end on local defaults: Postgres, simulated Gong, backfill, sync, SQL results
	$(GO) run ./internal/demo

.PHONY: bench
bench: postgres build ## measure request economy, pacing, throughput, memory; writes docs/BENCHMARKS.md
	$(GO) run ./internal/bench

.PHONY: lint
lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

.PHONY: staticcheck
staticcheck: ## staticcheck from honnef.co/go/tools
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

.PHONY: clean
clean: ## remove build output
	rm -rf bin
