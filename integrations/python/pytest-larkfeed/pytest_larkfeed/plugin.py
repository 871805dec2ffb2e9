"""The pytest plugin: a larkfeed server per session (per worker under xdist), a tenant per test,
a ready `lark.Client`, acting as users, waiting on the change feed, and the tenant's logs in the
report of a test that failed."""

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest


class LarkfeedError(RuntimeError):
    """larkfeed could not be found, started or asked."""


def _binary():
    named = os.environ.get("LARKFEED_BIN")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            raise LarkfeedError(f"LARKFEED_BIN is {named!r}, which is not an executable file")
        return named
    found = shutil.which("larkfeed")
    if not found:
        raise LarkfeedError(
            "larkfeed was not found: set LARKFEED_BIN to the binary (for example "
            "target/debug/larkfeed after `cargo build`), or put `larkfeed` on PATH")
    return found


class Larkfeed:
    """A running larkfeed server: its URL, and its admin API."""

    def __init__(self, base_url, admin_token=None, process=None):
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self._process = process

    @classmethod
    def start(cls, *args):
        """`larkfeed serve` on a free port with a memory database; `args` are more flags."""
        command = [_binary(), "serve", "--port", "0", "--database", "memory", *args]
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       text=True)
        except OSError as e:
            raise LarkfeedError(f"could not start {command[0]}: {e}") from e
        first = process.stdout.readline()
        prefix = "larkfeed listening on "
        if not first.startswith(prefix):
            process.kill()
            raise LarkfeedError(f"{command[0]} did not start (it said {first!r}); run "
                                f"`{' '.join(command)}` to see why")
        # The rest of the banner, and anything after, is read so the pipe never fills.
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        return cls(first[len(prefix):].strip(), process=process)

    def stop(self):
        if self._process and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()

    def request(self, method, path, body=None, tenant=None):
        """One admin or Open API call; its JSON answer (an error's too)."""
        url = self.base_url + path
        if tenant:
            url += ("&" if "?" in path else "?") + "tenant=" + urllib.parse.quote(tenant)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.admin_token:
            req.add_header("Authorization", f"Bearer {self.admin_token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            text = e.read().decode(errors="replace")
            try:
                return json.loads(text)
            except ValueError:
                raise LarkfeedError(f"{method} {path}: HTTP {e.code}: {text}") from e

    def tenant(self, world=None):
        """A new tenant, of the server's world file or of `world` (the world file's shape)."""
        made = self.request("POST", "/_larkfeed/tenants", world)
        if "tenant_key" not in made:
            raise LarkfeedError(f"the tenant was not made: {made}")
        return Tenant(self, made)


class Tenant:
    """A tenant made for one test: its apps and users, acting in it, and its change feed."""

    def __init__(self, server, made):
        self.server = server
        self.key = made["tenant_key"]
        self.apps = made["apps"]
        self.app = self.apps[0]
        self.users = self.app["users"]
        self._events = queue.Queue()
        self._seen = []
        self._feed = None
        self._listen()

    # ---- the change feed ----

    def _listen(self):
        url = (f"{self.server.base_url}/_larkfeed/events?tenant={self.key}")
        if self.server.admin_token:
            url += "&admin_token=" + urllib.parse.quote(self.server.admin_token)
        ready = threading.Event()

        def read():
            try:
                self._feed = urllib.request.urlopen(url, timeout=3600)
            except OSError:
                ready.set()
                return
            ready.set()
            data = []
            try:
                for raw in self._feed:
                    line = raw.decode().rstrip("\r\n")
                    if line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif not line and data:
                        try:
                            self._events.put(json.loads("\n".join(data)))
                        except ValueError:
                            pass
                        data = []
            except Exception:  # the feed was closed (the tenant deleted) or the server stopped
                return

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(10):
            raise LarkfeedError("the change feed did not open within 10 s")

    def wait_for(self, kind, match=None, timeout=5.0):
        """The first change of `kind` (`message.sent`, `feed_card.created`, `delivery`, …) for
        which `match(change)` holds, waiting up to `timeout` seconds; changes seen before count."""
        def fits(change):
            return change.get("kind") == kind and (match is None or match(change))
        for change in self._seen:
            if fits(change):
                return change
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                kinds = sorted({c.get("kind") for c in self._seen})
                raise AssertionError(f"no {kind!r} change within {timeout} s (seen: {kinds})")
            try:
                change = self._events.get(timeout=left)
            except queue.Empty:
                continue
            self._seen.append(change)
            if fits(change):
                return change

    # ---- acting as users ----

    def _call(self, method, path, body=None):
        return self.server.request(method, path, body, tenant=self.key)

    def act(self, name, **body):
        """`POST /_larkfeed/act/<name>` in this tenant: what a user does."""
        return self._call("POST", f"/_larkfeed/act/{name}", body)

    def user(self, who):
        """A user by index, name, open_id or user_id."""
        if isinstance(who, int):
            return self.users[who]
        if isinstance(who, dict):
            return who
        for u in self.users:
            if who in (u.get("name"), u.get("open_id"), u.get("user_id")):
                return u
        raise KeyError(f"no user {who!r} in tenant {self.key}")

    def say(self, who, text, app=None):
        """`who` writes `text` to the app's bot (the first app's unless named)."""
        app_id = (app or self.app)["app_id"]
        return self.act("send_message", user=self.user(who)["user_id"], to_app=app_id,
                        msg_type="text", content=json.dumps({"text": text}))

    def click(self, who, message_id, value, tag="button"):
        """`who` clicks a card's button whose value is `value`."""
        return self.act("card_action", user=self.user(who)["user_id"], message_id=message_id,
                        action={"tag": tag, "value": value})

    def point_app_at(self, url, app=None):
        """Events and card callbacks of the app (the first unless named) go to `url`."""
        app_id = (app or self.app)["app_id"]
        answer = self._call("PUT", f"/_larkfeed/apps/{app_id}",
                            {"event_url": url, "callback_url": url})
        if answer.get("code", 0) != 0:
            raise LarkfeedError(f"the app's URLs were not set: {answer}")
        return answer

    # ---- logs ----

    def requests(self, limit=100):
        return self._call("GET", f"/_larkfeed/requests?limit={limit}").get("items", [])

    def deliveries(self, limit=100):
        return self._call("GET", f"/_larkfeed/deliveries?limit={limit}").get("items", [])

    def client(self, app=None):
        """A `lark.Client` (the official SDK's) for the app, the first unless named."""
        try:
            import lark_oapi as lark
        except ImportError as e:
            raise LarkfeedError("lark_client needs lark-oapi: pip install lark-oapi") from e
        app = app or self.app
        return (lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"])
                .domain(self.server.base_url).log_level(lark.LogLevel.ERROR).build())

    def inspector_url(self):
        """The inspector's page for this tenant: what its users see."""
        return f"{self.server.base_url}/_larkfeed/ui?tenant={self.key}"

    def stop_listening(self):
        """Stops reading the change feed; the tenant stays."""
        feed, self._feed = self._feed, None
        if feed is not None:
            # Closed aside: a close waits for the reader, which the server lets go.
            threading.Thread(target=feed.close, daemon=True).start()

    def delete(self):
        """Deletes the tenant; its change feed ends with it."""
        answer = self.server.request("DELETE", f"/_larkfeed/tenants/{self.key}")
        self.stop_listening()
        if answer.get("deleted") is not True:
            raise LarkfeedError(f"tenant {self.key} was not deleted: {answer}")


# ---- options and fixtures ----

def pytest_addoption(parser):
    group = parser.getgroup("larkfeed")
    group.addoption(
        "--larkfeed-keep-failed", action="store_true", default=False,
        help="keep a failed test's tenant instead of deleting it, and name its inspector page in "
             "the report (with LARKFEED_URL the server outlives the run, so the page stays open)")


@pytest.fixture(scope="session")
def larkfeed():
    """The larkfeed server of this session (of this worker, under xdist)."""
    url = os.environ.get("LARKFEED_URL")
    if url:
        yield Larkfeed(url, admin_token=os.environ.get("LARKFEED_ADMIN_TOKEN"))
        return
    server = Larkfeed.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def tenant(larkfeed, request):
    """A tenant of this test's own, deleted after it."""
    made = larkfeed.tenant()
    request.node._larkfeed_tenant = made
    try:
        yield made
    finally:
        if getattr(request.node, "_larkfeed_keep", False):
            made.stop_listening()
        else:
            made.delete()


@pytest.fixture
def lark_client(tenant):
    """A `lark.Client` for the tenant's first app."""
    return tenant.client()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    made = getattr(item, "_larkfeed_tenant", None)
    if made is None or not report.failed or report.when != "call":
        return
    for title, read in (("requests", made.requests), ("deliveries", made.deliveries)):
        try:
            text = json.dumps(read(), ensure_ascii=False, indent=1)
        except Exception as e:  # the report must still be written
            text = f"could not be read: {e}"
        report.sections.append((f"larkfeed {title} (tenant {made.key})", text))
    if item.config.getoption("larkfeed_keep_failed"):
        item._larkfeed_keep = True
        report.sections.append((
            f"larkfeed tenant {made.key} kept",
            f"{made.inspector_url()}\n"
            f"delete it with: curl -X DELETE {made.server.base_url}/_larkfeed/tenants/{made.key}"))
