"""cfn-lint for a whole test run in one Python process (test/support/cfn-lint-server.ts starts it, test/support/cfn-lint.ts asks it).

Each `cfn-lint` command paid its start-up again (Python, cfn-lint's imports, its rules and schemas); the suite lints
in 8 files (measured with 7 calls of golden templates of the suite's sizes: 65.9 CPU-s as commands, 56.1 here).
The linting itself is most of it (about 7 CPU-s per pair of templates), hence the verdicts kept between runs: a run
whose templates are unchanged lints nothing. Here cfn-lint starts once, answers
POST / {"args": [...], "files": [...]} with {"status": <exit code>, "output": <what it printed>} exactly as the
command would, and keeps a verdict of "clean" per template content in the cache folder given as argv[1] (keyed
by cfn-lint's version, the arguments and the bytes but for the asset hashes), so an unchanged template is not linted
again by a later run. Only clean verdicts are kept: a template with findings is linted every time, so its findings are printed.
Prints the port it listens on (loopback, port 0: the system's choice) as its first line; serves one request at a
time (cfn-lint's caches are process-wide).
"""

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

CACHE = sys.argv[1]
_lint = None


def lint_command():
    """cfn-lint's own command line (as cfnlint.runner.cli.main runs it), imported when a request has a template to lint."""
    global _lint
    if _lint is None:
        if importlib.util.find_spec("cfnlint") is None:
            # cfn-lint installed apart (pipx, another Python): its command, a start-up per request as before.
            version = subprocess.run(["cfn-lint", "--version"], capture_output=True, text=True, check=True).stdout.strip()

            def command(args):
                done = subprocess.run(["cfn-lint", *args], capture_output=True, text=True)
                return done.returncode, done.stdout + done.stderr

            _lint = (command, version)
            return _lint

        def run(args):
            from cfnlint.config import ConfigMixIn
            from cfnlint.runner.cli import Runner

            out = io.StringIO()
            status = 0
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    Runner(ConfigMixIn(args)).cli()
                except SystemExit as e:
                    status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            return status, out.getvalue()

        # The version from the package's metadata: a run whose templates all have verdicts imports no rule.
        _lint = (run, importlib.metadata.version("cfn-lint"))
    return _lint


# An asset's hash in a template (its S3Key, a piece of a Sub or a Join): 64 hex digits.
ASSET_HASH = re.compile(rb"[0-9a-f]{64}")


def masked(template):
    """The template with each distinct asset hash named by its order of first appearance (which are equal is kept).

    The CDK derives a skipped bundle's hash from its bundling options, which hold the checkout's absolute path: a clone
    or worktree at another path synthesizes the same templates with other hashes, and linted all of them again (about
    50 CPU-s, 41 templates). cfn-lint reads a hash as an opaque string of its shape, never its digits."""
    names = {}
    return ASSET_HASH.sub(lambda m: b"<asset-%d>" % names.setdefault(m.group(0), len(names)), template)


def verdict_key(version, args, path):
    digest = hashlib.sha256()
    digest.update(json.dumps([version, args, "asset hashes masked"]).encode())
    with open(path, "rb") as f:
        digest.update(masked(f.read()))
    return os.path.join(CACHE, digest.hexdigest())


def known_clean(key):
    """Whether a verdict of clean is kept for `key`; a kept one is touched, so the clean-up at start keeps it."""
    if not os.path.exists(key):
        return False
    os.utime(key)
    return True


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        try:
            run, version = lint_command()
            args, files = request["args"], request["files"]
            keys = {f: verdict_key(version, args, f) for f in files}
            todo = [f for f in files if not known_clean(keys[f])]
            status, output = run([*args, "--", *todo]) if todo else (0, "")
            if status == 0 and output.strip() == "":
                for f in todo:
                    open(keys[f], "w").close()
            answer = {"status": status, "output": output, "kept": len(files) - len(todo)}
        except Exception as e:  # noqa: BLE001 - any failure is the caller's failed lint, named
            answer = {"status": 1, "output": f"cfn-lint could not run in {sys.executable}: {type(e).__name__}: {e} (npm run setup installs it)"}
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


os.makedirs(CACHE, exist_ok=True)
# Verdicts of templates no run has linted for a day go (a day of edits leaves hundreds of empty files behind).
for name in os.listdir(CACHE):
    path = os.path.join(CACHE, name)
    with contextlib.suppress(FileNotFoundError):
        if time.time() - os.path.getmtime(path) > 86_400:
            os.remove(path)
server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
