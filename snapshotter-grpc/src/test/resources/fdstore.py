#!/usr/bin/env python3
"""systemd's side of the file descriptor store, for tests on machines without systemd as PID 1.

Usage: fdstore.py NOTIFY_SOCKET COMMAND...

Runs COMMAND as a service with Type=notify and a file descriptor store, following systemd's documented protocol
(sd_notify(3), sd_listen_fds(3)): it listens on NOTIFY_SOCKET (a datagram socket), keeps every descriptor sent with
FDSTORE=1 under its FDNAME= (a second one of the same name replaces the first), drops it on FDSTOREREMOVE=1, and on
each start passes the kept descriptors as fds 3, 4, ... with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set.
Standard input takes commands, one a line: "kill" sends SIGKILL to the service, waits for it to exit and starts it
again (as Restart=always does after a crash); "reload" starts COMMAND --takeover beside the service, without
LISTEN_FDS, as ExecReload= of dist/jstargz.service does, and the service is the new process once MAINPID= names it
(NotifyAccess=all: systemd accepts MAINPID= of a process of the service); "stop" sends SIGTERM, waits, and exits.
Events are printed on standard output as lines starting with "fdstore: " (started PID, ready PID, stored NAME,
removed NAME, mainpid PID, exited CODE).
"""
import fcntl
import os
import selectors
import signal
import socket
import sys
import time


def log(*words):
    # one write(2) per line: the service writes its log to the same pipe, and a line written in parts can be cut by
    # one of its lines
    os.write(sys.stdout.fileno(), (" ".join(["fdstore:"] + [str(w) for w in words]) + "\n").encode())


def main():
    path, command = sys.argv[1], sys.argv[2:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    store = {}  # name -> fd, in the order stored
    service = start(path, command, store)
    started = {}  # pid -> a process started by "reload", until MAINPID= names it
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ, "notify")
    sel.register(sys.stdin, selectors.EVENT_READ, "command")
    while True:
        for key, _ in sel.select():
            if key.data == "notify":
                main_pid = notification(sock, store, service)
                if main_pid in started:
                    old, service = service, started.pop(main_pid)
                    log("mainpid", main_pid)
                    sel.register(os.pidfd_open(old.pid), selectors.EVENT_READ, old)
            elif isinstance(key.data, Service):
                sel.unregister(key.fileobj)
                os.close(key.fd)
                log("exited", key.data.wait())
            else:
                line = sys.stdin.readline().strip()
                if line == "kill":
                    killed = time.monotonic()
                    service.send_signal(signal.SIGKILL)
                    log("exited", service.wait())
                    service = start(path, command, store)
                    service.since = ("kill", killed)
                elif line == "reload":
                    reloaded = time.monotonic()
                    new = start(path, command + ["--takeover"], {})
                    new.since = ("reload", reloaded)
                    started[new.pid] = new
                elif line in ("stop", ""):
                    service.send_signal(signal.SIGTERM)
                    log("exited", service.wait())
                    return


def notification(sock, store, service):
    """Handles one notification; returns the pid it names in MAINPID=, if any."""
    data, fds, _, _ = socket.recv_fds(sock, 65536, 253)
    fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
    name = fields.get("FDNAME", "stored")
    if fields.get("FDSTORE") == "1":
        for fd in fds:
            old = store.pop(name, None)
            if old is not None:
                os.close(old)
            store[name] = fd
            log("stored", name)
        return None
    for fd in fds:
        os.close(fd)
    if fields.get("FDSTOREREMOVE") == "1" and name in store:
        os.close(store.pop(name))
        log("removed", name)
    if fields.get("READY") == "1":
        since = getattr(service, "since", None)
        after = "" if since is None else "%.0f ms after the %s" % ((time.monotonic() - since[1]) * 1000, since[0])
        log("ready", service.pid, after)
    return int(fields["MAINPID"]) if fields.get("MAINPID", "").isdigit() else None


class Service:
    def __init__(self, pid):
        self.pid = pid

    def send_signal(self, sig):
        os.kill(self.pid, sig)

    def wait(self):
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def start(path, command, store):
    names = list(store)
    fds = [store[n] for n in names]
    pid = os.fork()
    if pid == 0:
        # the kept descriptors become 3, 4, ... (moved out of the way first, so that none overwrites another)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 1000) for fd in fds]
        for i, fd in enumerate(high):
            os.dup2(fd, 3 + i, inheritable=True)
            os.close(fd)
        env = dict(os.environ, NOTIFY_SOCKET=path)
        if fds:
            env.update(LISTEN_FDS=str(len(fds)), LISTEN_FDNAMES=":".join(names), LISTEN_PID=str(os.getpid()))
        os.closerange(3 + len(fds), 65536)
        os.execvpe(command[0], command, env)
    log("started", pid, "with", len(fds), "descriptors")
    return Service(pid)


if __name__ == "__main__":
    main()
