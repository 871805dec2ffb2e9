"""Starts a real larkfeed server (the binary named by LARKFEED_BIN) on a free port with a fresh
database, and gives the tests its base URL and world."""

import json
import os
import subprocess
import tempfile
import urllib.request
import uuid

import pytest


def fresh_database(directory: str) -> str:
    """A SQLite file in `directory`, or with LARKFEED_TEST_BACKEND=postgres a schema of its own on
    the test PostgreSQL (scripts/test drops the lf_t_ schemas after the run)."""
    if os.environ.get("LARKFEED_TEST_BACKEND") == "postgres":
        url = os.environ.get("LARKFEED_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}schema=lf_t_{uuid.uuid4().hex}"
    return os.path.join(directory, "db.sqlite")


class Server:
    def __init__(self, rate_limits: str, world_toml: str = None):
        binary = os.environ.get("LARKFEED_BIN", "target/debug/larkfeed")
        self.dir = tempfile.TemporaryDirectory()
        args = [binary, "serve", "--port", "0", "--database", fresh_database(self.dir.name),
                "--rate-limits", rate_limits]
        if world_toml is not None:
            path = os.path.join(self.dir.name, "world.toml")
            with open(path, "w") as f:
                f.write(world_toml)
            args += ["--world", path]
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("larkfeed listening on "), f"unexpected first line: {line!r}"
        self.base = line.split()[-1]
        with urllib.request.urlopen(self.base + "/_larkfeed/world") as resp:
            self.world = json.load(resp)
        self.app = self.world["apps"][0]
        self.other_app = self.world["apps"][1]

    def open_id(self, i: int, app: int = 0) -> str:
        return self.world["apps"][app]["users"][i]["open_id"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.dir.cleanup()


@pytest.fixture(scope="session")
def server():
    s = Server("off")
    yield s
    s.stop()


# The SDK caches tokens per app_id for the whole process, so a second server gets other apps.
LIMITED_WORLD = """
[tenant]
name = "Rate Limited"
[[users]]
name = "Lin"
[[apps]]
name = "Burst"
[[apps]]
name = "Other"
"""


@pytest.fixture()
def limited_server():
    s = Server("on", LIMITED_WORLD)
    yield s
    s.stop()
