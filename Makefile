# tunescore: `make demo` and `make test` are the two entry points (see README.md).
SHELL := /bin/bash
export PATH := $(PATH):/opt/swift/usr/bin
# libgomp reads this when the process starts; spinning OpenMP threads starve each other on 2 cores.
export OMP_WAIT_POLICY := PASSIVE

DEBS := pkg-config libtorch-dev libtagc0-dev libmpg123-dev libsndfile1-dev libavformat-dev libavcodec-dev libfftw3-dev libsoxr-dev \
        libsox-dev libpng-dev libopenblas0-openmp libtcmalloc-minimal4 libsqlite3-dev libgloo-dev
# Only the tests need these: chromium renders the HTML report headless, sqlite3 is a second process
# holding the score database's write lock, ffmpeg writes the M4A/WMA/WebM/... fixtures, strace counts the files
# a rescan opens.
TEST_DEBS := chromium sqlite3 ffmpeg strace
BIN := .build/release/tunescore
DEMO_DIR ?= demo-data

.PHONY: deps test-deps build test demo clean

# install-missing(what, packages): apt-get installs only the packages dpkg does not already have.
define install-missing
	@missing=$$(for p in $(2); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make $(1): installing$$(echo ' '$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else echo "make $(1): all Debian packages present"; fi
endef

## deps: installs the Debian packages that are missing (idempotent; needs root)
deps:
	$(call install-missing,deps,$(DEBS))

## test-deps: installs the Debian packages the tests need that are missing (idempotent; needs root)
test-deps:
	$(call install-missing,test-deps,$(TEST_DEBS))

## build: release build of the tunescore binary
build: deps
	swift build -c release --product tunescore

## test: the whole test suite
test: deps test-deps
	swift test

## demo: the main job on real data
demo: build
	bash scripts/demo.sh $(BIN) $(DEMO_DIR)

clean:
	rm -rf .build
