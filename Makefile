# jstargz: `make run` sets up and runs the main job; `make test` runs every test. Both need root on a fresh
# Debian 12 machine (they install Debian packages, mount FUSE filesystems and start containerd).

MVN ?= mvn -B -ntp

.PHONY: all setup build test run bench clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(MVN) -q -DskipTests package

test: setup
	$(MVN) verify

run: build
	@scripts/run.sh

bench: build
	@bench/run

clean:
	$(MVN) clean
