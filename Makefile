# jstargz: `make run` sets up and runs the main job; `make test` runs every test. Both need root on a fresh
# Debian 12 machine (they install Debian packages, mount FUSE filesystems and start containerd).

MVN ?= mvn -B -ntp
# `make install`: PREFIX for the launcher and jar, DESTDIR to stage into a package root
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all setup build test run bench install image clean

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

# The launcher and jar, the systemd unit (ExecStart pointing at this PREFIX), the example configuration (kept if one
# exists) and the documentation.
install:
	@test -f tools/target/jstargz.jar || { echo "make install: run 'make build' first" >&2; exit 1; }
	install -D -m 0755 bin/jstargz $(DESTDIR)$(PREFIX)/bin/jstargz
	install -D -m 0644 tools/target/jstargz.jar $(DESTDIR)$(PREFIX)/lib/jstargz/jstargz.jar
	install -d $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/jstargz $(DESTDIR)$(PREFIX)/share/doc/jstargz
	sed -e 's|^ExecStart=.*|ExecStart=$(PREFIX)/bin/jstargz serve|' \
		-e 's|^Documentation=.*|Documentation=file:$(PREFIX)/share/doc/jstargz/daemon.md|' dist/jstargz.service \
		> $(DESTDIR)/etc/systemd/system/jstargz.service
	test -e $(DESTDIR)/etc/jstargz/config.toml || install -m 0644 dist/config.toml $(DESTDIR)/etc/jstargz/config.toml
	install -m 0644 README.md docs/*.md dist/containerd-config.toml dist/containerd2-config.toml $(DESTDIR)$(PREFIX)/share/doc/jstargz/

# The container image for dist/kubernetes/ (an OCI layout in tools/target/image, and image.tar): Debian packages and
# the jar, built with debootstrap and umoci (scripts/image.sh).
image: build
	@scripts/image.sh

clean:
	$(MVN) clean
