"""bench/models/protocol.py: the pipe between coordinator and engine worker, one JSON line each way.

Standard library only: the workers run in three interpreters (Debian's, .venv's and
.venv-deepsparse's). A worker answers every request with one line, {"ok": true, ...} or
{"ok": false, "error": "..."}; its first line (unrequested) says whether its engine
imported. The worker's stdout is the channel: open_channel() moves whatever the
libraries print to stderr before any engine is imported.
"""
import json
import os
import select
import subprocess
import sys
import traceback

REPLY_TIMEOUT_S = 900  # longer than any setup (sparsify, export, session) of these models


def open_channel():
    """Worker side, first thing: the channel to the coordinator (the original stdout);
    whatever the libraries print afterwards goes to stderr."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def hello(channel, error=None, **info):
    """The worker's first line: whether its engine is usable."""
    line = {"ok": error is None, **info}
    if error is not None:
        line["error"] = error
    channel.write(json.dumps(line) + "\n")


def serve(channel, handle):
    """Answer requests from stdin until {"cmd": "quit"} or EOF.
    handle(request) -> dict of results (raising fails that request only)."""
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("cmd") == "quit":
            break
        try:
            reply = dict(handle(req), ok=True)
        except Exception as e:  # the coordinator records the failure in the engine's row
            traceback.print_exc(file=sys.stderr)
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        channel.write(json.dumps(reply) + "\n")


class Worker:
    """Coordinator side: one engine's long-lived process."""

    def __init__(self, engine, argv, env=None):
        self.engine = engine
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True, bufsize=1)
        self.info = self._read()

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        # a worker stuck in its engine must not stop the whole run: give up and kill it
        ready, _, _ = select.select([self.proc.stdout], [], [], REPLY_TIMEOUT_S)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            return {"ok": False, "error": f"no answer within {REPLY_TIMEOUT_S} s: worker killed"}
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            return {"ok": False, "error": f"worker exited (status {code}) before answering"}
        try:
            return json.loads(line)
        except ValueError:
            return {"ok": False, "error": f"worker answered with a line that is not JSON: "
                                          f"{line[:80]!r}"}

    def request(self, cmd, **args):
        """The reply dict; {"ok": False, ...} when the worker failed or died."""
        if self.proc.poll() is not None:
            return {"ok": False, "error": f"worker exited (status {self.proc.returncode})"}
        try:
            self.proc.stdin.write(json.dumps(dict(args, cmd=cmd)) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return {"ok": False, "error": "worker exited"}
        return self._read()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
