"""The README's tour snippets (curl, Python, Node), run as written against a spawned larkfeed:
each must exit 0 and create a card. Only the base URL comes from the environment."""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def tour_snippets():
    readme = (ROOT / "README.md").read_text()
    tour = readme.split("## A 30-second tour", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(sh|python|js)\n(.*?)```", tour, re.S)


def test_the_tour_has_a_snippet_for_curl_python_and_node():
    assert [lang for lang, _ in tour_snippets()] == ["sh", "python", "js"]


@pytest.mark.parametrize("lang,code", tour_snippets(), ids=[lang for lang, _ in tour_snippets()])
def test_a_readme_snippet_runs_as_written(server, tmp_path, lang, code):
    script = tmp_path / {"sh": "tour.sh", "python": "tour.py", "js": "tour.js"}[lang]
    script.write_text(code)
    command = {
        "sh": ["bash", "-euo", "pipefail", str(script)],
        "python": [sys.executable, str(script)],
        "js": ["node", str(script)],
    }[lang]
    env = dict(os.environ, LARKFEED_BASE_URL=server.base,
               NODE_PATH=str(ROOT / ".peers" / "node" / "node_modules"))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    if lang == "sh":
        assert '"code":0' in done.stdout, done.stdout
    else:
        assert re.search(r"^created [0-9a-f-]{36}$", done.stdout, re.M), done.stdout


def test_the_readme_click_handling_app_runs_as_written(server, tmp_path):
    """The README's lark-oapi app, started as written (on a free PORT), gets a click and its
    toast comes back to the clicking user."""
    import json
    import socket
    import time
    import urllib.request

    section = (ROOT / "README.md").read_text().split("## Acting as the user", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    assert len(code.strip().splitlines()) <= 12, "the README promises a short app"
    script = tmp_path / "app.py"
    script.write_text(code)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = subprocess.Popen([sys.executable, str(script)], env=dict(os.environ, PORT=str(port)),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def call(method, path, body=None, token=None):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            req = urllib.request.Request(server.base + path, method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
            try:
                with urllib.request.urlopen(req) as resp:
                    return json.load(resp)
            except urllib.error.HTTPError as e:
                return json.load(e)

        app_id = server.app["app_id"]
        for _ in range(100):  # until the app listens
            answer = call("PUT", f"/_larkfeed/apps/{app_id}", {"callback_url": f"http://127.0.0.1:{port}/"})
            if answer.get("callback_url"):
                break
            time.sleep(0.05)
        assert answer.get("callback_url"), answer
        token = call("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                     {"app_id": app_id, "app_secret": server.app["app_secret"]})["tenant_access_token"]
        card = {"elements": [{"tag": "action", "actions": [{"tag": "button", "value": {"order": "42"},
                 "text": {"tag": "plain_text", "content": "Go"}}]}]}
        sent = call("POST", "/open-apis/im/v1/messages?receive_id_type=open_id",
                    {"receive_id": server.open_id(0), "msg_type": "interactive", "content": json.dumps(card)},
                    token)
        acted = call("POST", "/_larkfeed/act/card_action", {
            "user": server.open_id(0), "message_id": sent["data"]["message_id"],
            "action": {"tag": "button", "value": {"order": "42"}}})
        assert acted["delivered"] is True, acted
        assert acted["applied"]["toast"] == {"type": "success", "content": "got {'order': '42'}"}, acted
    finally:
        app.kill()
        call("PUT", f"/_larkfeed/apps/{server.app['app_id']}", {"callback_url": None})
