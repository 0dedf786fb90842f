# jstargz: `make run` sets up and runs the main job; `make test` runs every test. Both need root on a fresh
# Debian 12 machine (they install Debian packages, mount FUSE filesystems and start containerd).

MVN ?= mvn -B -ntp
# `make install`: PREFIX for the launcher and jar, DESTDIR to stage into a package root
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all setup setup-build build test run bench install image clean

all: build

# What the tests, `make run` and the benchmarks use besides the build: containerd 1.6 and 2.1, a registry, skopeo...
setup:
	@scripts/setup.sh all

# What building and running the daemon needs: the JDKs, Maven, FUSE (scripts/setup.sh lists both sets)
setup-build:
	@scripts/setup.sh build

# The jar, then the daemon's class data for a fast first pull (JDK 25+: an AOT cache recorded from a training run of
# the daemon, `jstargz serve --train`; it mounts with FUSE, so it needs root as the daemon does). Without it the daemon
# still starts, and records the cache itself in the background at its first start.
build: setup-build
	$(MVN) -q -DskipTests package
	bin/jstargz serve --train > tools/target/training.log 2>&1 || { tail -n 20 tools/target/training.log >&2; \
		echo "make build: no AOT cache recorded (see tools/target/training.log)" >&2; }

test: setup
	$(MVN) verify

run: setup build
	@scripts/run.sh

bench: setup build
	@bench/run

# The launcher and jar with the daemon's AOT cache, the systemd unit (ExecStart pointing at this PREFIX), the example
# configuration (kept if one exists), the documentation, bash completion and man pages (`jstargz shell-docs`, from
# the commands' own help). The jar keeps its time (-p): the cache recorded by `make build` is valid for it where it is
# installed. Without DESTDIR the installed launcher records the cache if
# that one is missing or stale (for this JDK); a staged package records it on the node, at the daemon's first start.
install:
	@test -f tools/target/jstargz.jar || { echo "make install: run 'make build' first" >&2; exit 1; }
	install -D -m 0755 bin/jstargz $(DESTDIR)$(PREFIX)/bin/jstargz
	install -D -p -m 0644 tools/target/jstargz.jar $(DESTDIR)$(PREFIX)/lib/jstargz/jstargz.jar
	for f in tools/target/jstargz-serve.aot tools/target/jstargz-serve.aot.stamp; do \
		test ! -f $$f || install -p -m 0644 $$f $(DESTDIR)$(PREFIX)/lib/jstargz/; done
	test -n "$(DESTDIR)" || $(PREFIX)/bin/jstargz serve --train > /dev/null || \
		echo "make install: no AOT cache recorded; the daemon records it at its first start" >&2
	install -d $(DESTDIR)/etc/systemd/system $(DESTDIR)/etc/jstargz $(DESTDIR)$(PREFIX)/share/doc/jstargz
	sed -e 's|^ExecStart=.*|ExecStart=$(PREFIX)/bin/jstargz serve|' \
		-e 's|^ExecReload=.*|ExecReload=/bin/sh -c \x27$(PREFIX)/bin/jstargz serve --takeover \&\x27|' \
		-e 's|^Documentation=.*|Documentation=file:$(PREFIX)/share/doc/jstargz/daemon.md|' dist/jstargz.service \
		> $(DESTDIR)/etc/systemd/system/jstargz.service
	test -e $(DESTDIR)/etc/jstargz/config.toml || install -m 0644 dist/config.toml $(DESTDIR)/etc/jstargz/config.toml
	install -m 0644 README.md docs/*.md dist/containerd-config.toml dist/containerd2-config.toml \
		dist/grafana-dashboard.json $(DESTDIR)$(PREFIX)/share/doc/jstargz/
	bin/jstargz shell-docs --completion $(DESTDIR)$(PREFIX)/share/bash-completion/completions/jstargz \
		--man $(DESTDIR)$(PREFIX)/share/man/man1 > /dev/null

# The container image for dist/kubernetes/ (an OCI layout in tools/target/image, and image.tar): Debian packages and
# the jar, built with debootstrap and umoci (scripts/image.sh).
image: build
	@scripts/image.sh

clean:
	$(MVN) clean
