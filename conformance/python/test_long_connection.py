"""Bots on the SDK's long connection: lark-oapi's own `lark.ws.Client` (the README's bot, run as
written) connected to larkfeed by domain gets messages and clicks, and its toast comes back; two
connections of one app share the events; a wrong secret is refused; a restarted server gets its
bot back."""

import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import pytest

from conftest import fresh_database

ROOT = pathlib.Path(__file__).resolve().parents[2]


def readme_bot():
    section = (ROOT / "README.md").read_text().split("### Bots on the long connection", 1)[1]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    assert len(code.strip().splitlines()) < 15, "the README promises a bot in under 15 lines"
    return code


class Bot:
    """The README's bot as its own process; what it prints is collected line by line."""

    def __init__(self, base, app, tmp, secret=None):
        script = pathlib.Path(tmp) / "bot.py"
        script.write_text(readme_bot())
        env = dict(os.environ, APP_ID=app["app_id"], APP_SECRET=secret or app["app_secret"],
                   LARKFEED_BASE_URL=base)
        self.proc = subprocess.Popen([sys.executable, str(script)], env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, prefix, count=1, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = [l for l in self.lines if l.startswith(prefix)]
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"no {prefix!r} line in {self.lines}")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def call(base, method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        return json.load(e)


def connections(base, app_id):
    try:
        return call(base, "GET", f"/_larkfeed/apps/{app_id}").get("connections", [])
    except OSError:
        return []


def wait_connected(base, app_id, n=1, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(connections(base, app_id)) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{n} long connection(s) of {app_id} never opened")


def say(base, user, app_id, text):
    return call(base, "POST", "/_larkfeed/act/send_message", {
        "user": user, "to_app": app_id, "msg_type": "text", "content": json.dumps({"text": text})})


def test_a_bot_on_the_long_connection_gets_messages_and_clicks(server, tmp_path):
    app = server.other_app
    bot = Bot(server.base, app, tmp_path)
    try:
        wait_connected(server.base, app["app_id"])
        user = server.open_id(0, app=1)
        acted = say(server.base, user, app["app_id"], "hello over ws")
        assert acted["delivered"] is True, acted
        assert "hello over ws" in bot.wait_for("message")[0]
        # Over 32 KiB of payload: split into several frames, joined again by the SDK.
        long_text = "x" * 70_000
        assert say(server.base, user, app["app_id"], long_text)["delivered"] is True
        assert long_text in bot.wait_for("message", count=2)[1]

        token = call(server.base, "POST", "/open-apis/auth/v3/tenant_access_token/internal",
                     {"app_id": app["app_id"], "app_secret": app["app_secret"]})["tenant_access_token"]
        req = urllib.request.Request(
            server.base + "/open-apis/im/v1/messages?receive_id_type=open_id", method="POST",
            data=json.dumps({"receive_id": user, "msg_type": "interactive",
                             "content": json.dumps({"elements": []})}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        message_id = json.load(urllib.request.urlopen(req))["data"]["message_id"]
        acted = call(server.base, "POST", "/_larkfeed/act/card_action", {
            "user": user, "message_id": message_id, "action": {"tag": "button", "value": {"k": "v"}}})
        assert acted["delivered"] is True, acted
        assert acted["applied"]["toast"] == {"type": "success", "content": "thanks"}, acted
        assert "'k': 'v'" in bot.wait_for("clicked")[0]

        records = call(server.base, "GET", f"/_larkfeed/deliveries?app_id={app['app_id']}&limit=2")["items"]
        assert [r["via"] for r in records] == ["long_connection", "long_connection"], records
    finally:
        bot.stop()


def test_two_connections_of_one_app_get_each_event_once(server, tmp_path):
    app = server.other_app
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    bots = [Bot(server.base, app, tmp_path / "a"), Bot(server.base, app, tmp_path / "b")]
    try:
        wait_connected(server.base, app["app_id"], n=2)
        for i in range(6):
            assert say(server.base, server.open_id(1, app=1), app["app_id"], f"m{i}")["delivered"]
        time.sleep(0.5)
        got = [l for b in bots for l in b.lines if l.startswith("message")]
        assert sorted(got) == sorted(f'message {{"text":"m{i}"}}' for i in range(6)), got
        assert all(any(l.startswith("message") for l in b.lines) for b in bots), "both took some"
    finally:
        for b in bots:
            b.stop()


def test_a_wrong_secret_is_refused(server, tmp_path):
    bot = Bot(server.base, server.other_app, tmp_path, secret="not-the-secret")
    try:
        bot.proc.wait(timeout=15)
        err = bot.proc.stderr.read()
        assert bot.proc.returncode != 0
        assert "514" in err and "auth failed" in err, err
    finally:
        bot.stop()


def test_the_bot_comes_back_after_the_server_restarts(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    db = fresh_database(str(tmp_path))
    binary = os.environ.get("LARKFEED_BIN", "target/debug/larkfeed")

    def start():
        proc = subprocess.Popen([binary, "serve", "--port", str(port), "--database", db],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout.readline().startswith("larkfeed listening on ")
        return proc

    first = start()
    base = f"http://127.0.0.1:{port}"
    world = call(base, "GET", "/_larkfeed/world")
    app = world["apps"][1]
    user = app["users"][0]["open_id"]
    bot = Bot(base, app, tmp_path)
    second = None
    try:
        wait_connected(base, app["app_id"])
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=10)
        second = start()
        wait_connected(base, app["app_id"])
        assert say(base, user, app["app_id"], "after the restart")["delivered"]
        assert "after the restart" in bot.wait_for("message")[0]
    finally:
        bot.stop()
        for p in (first, second):
            if p and p.poll() is None:
                p.kill()


def test_a_connection_that_stops_pinging_is_dropped(server):
    """A client that opens the WebSocket and then sends no frame of the SDKs' protocol is closed
    after 15 s, though it sends WebSocket pings every 2 s."""
    import asyncio
    import websockets

    app = server.app
    answer = call(server.base, "POST", "/callback/ws/endpoint",
                  {"AppID": app["app_id"], "AppSecret": app["app_secret"]})
    assert answer["code"] == 0, answer
    assert answer["data"]["ClientConfig"]["PingInterval"] == 5

    got = []  # (seconds after the start, bytes) of each frame the server sent meanwhile

    async def silent():
        async with websockets.connect(answer["data"]["URL"], proxy=None, ping_interval=2) as ws:
            wait_connected(server.base, app["app_id"])
            started = time.time()
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    frame = await asyncio.wait_for(ws.recv(), timeout=30)
                    got.append((round(time.time() - started, 1), len(frame)))
            return time.time() - started

    silent_for = asyncio.run(silent())
    assert 10 < silent_for < 25, (silent_for, got)
    assert connections(server.base, app["app_id"]) == []
    # The ticket was used: it opens nothing a second time.
    with pytest.raises(websockets.InvalidStatus):
        asyncio.run(websockets.connect(answer["data"]["URL"], proxy=None).__aenter__())


def test_the_readme_bot_in_a_tenant_made_at_run_time(server, tmp_path):
    """lark-oapi's ws.Client with a run-time tenant's credentials reaches that tenant by domain
    alone; its users' messages reach it, and the server's own app hears none of them."""
    made = call(server.base, "POST", "/_larkfeed/tenants")
    key, app = made["tenant_key"], made["apps"][0]
    bot = Bot(server.base, app, tmp_path)
    try:
        deadline = time.time() + 15
        while not call(server.base, "GET", f"/_larkfeed/apps/{app['app_id']}?tenant={key}").get("connections"):
            assert time.time() < deadline, "the tenant's bot never connected"
            time.sleep(0.05)
        acted = call(server.base, "POST", f"/_larkfeed/act/send_message?tenant={key}", {
            "user": app["users"][0]["user_id"], "to_app": app["app_id"], "msg_type": "text",
            "content": json.dumps({"text": "hello in a tenant"})})
        assert acted["delivered"] is True, acted
        assert "hello in a tenant" in bot.wait_for("message")[0]
        records = call(server.base, "GET", f"/_larkfeed/deliveries?tenant={key}&limit=1")["items"]
        assert records[0]["via"] == "long_connection", records
        ours = call(server.base, "GET", f"/_larkfeed/deliveries?app_id={app['app_id']}")["items"]
        assert ours == [], ours
    finally:
        bot.stop()
        call(server.base, "DELETE", f"/_larkfeed/tenants/{key}")
