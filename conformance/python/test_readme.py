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


def readme_section(title):
    return (ROOT / "README.md").read_text().split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_the_cli_in_five_lines_runs_as_written(server, tmp_path):
    """The CLI section's commands, with the placeholders (`cli_…`, `…`, `ou_…`) filled in from the
    world and the base URL pointed at the test server; the broadcast reads copies of
    docs/examples, so its journal lands in the test's folder."""
    import shutil
    block = re.findall(r"```sh\n(.*?)```", readme_section("The CLI in five lines"), re.S)[0]
    lines = [l for l in block.strip().splitlines() if l.strip()]
    assert len(lines) == 5
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    binary = pathlib.Path(os.environ.get("LARKFEED_BIN", ROOT / "target/debug/larkfeed")).resolve()
    env = dict(os.environ, PATH=f"{binary.parent}:{os.environ['PATH']}")
    env.pop("LARKFEED_TEST_BACKEND", None)
    fill = lambda l: (l.replace("http://127.0.0.1:8980", server.base)
                      .replace("cli_…", server.app["app_id"])
                      .replace("LARKFEED_APP_SECRET=…", f"LARKFEED_APP_SECRET={server.app['app_secret']}")
                      .replace("ou_…", server.open_id(0)))
    script = "\n".join(fill(l) + f"\necho \"exit $? after line {i}\"" for i, l in enumerate(lines))
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    exits = re.findall(r"exit (\d+) after line (\d)", done.stdout)
    # The broadcast reaches everyone but Frank, who is outside the app's availability: exit 5.
    assert exits == [("0", "0"), ("0", "1"), ("0", "2"), ("0", "3"), ("5", "4")], done.stdout + done.stderr
    assert "NO_PERMISSION" in done.stdout


def test_the_rust_sdk_in_ten_lines_compiles_and_runs(server, tmp_path):
    """The Rust section's snippet, placeholders filled in, in a main of its own in a crate beside
    the workspace (same lock file and target folder, so nothing is built twice)."""
    block = re.findall(r"```rust\n(.*?)```", readme_section("The Rust SDK in ten lines"), re.S)[0]
    assert len(block.strip().splitlines()) <= 11
    code = (block.replace('"cli_…"', f'"{server.app["app_id"]}"')
            .replace('app_secret("…")', f'app_secret("{server.app["app_secret"]}")')
            .replace('"http://127.0.0.1:8980"', f'"{server.base}"')
            .replace('"ou_…"', f'"{server.open_id(0)}"'))
    crate = tmp_path / "readme"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(f"""[package]
name = "readme-snippet"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
larkfeed-client = {{ path = "{ROOT / 'crates/client'}" }}
larkfeed-model = {{ path = "{ROOT / 'crates/model'}" }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[workspace]
""")
    (crate / "Cargo.lock").write_text((ROOT / "Cargo.lock").read_text())
    (crate / "src" / "main.rs").write_text(
        "#[tokio::main]\nasync fn main() -> Result<(), Box<dyn std::error::Error>> {\n"
        + code + "    assert!(created.failed_cards.is_empty());\n    println!(\"created {}\", created.biz_id);\n    Ok(())\n}\n")
    env = dict(os.environ, CARGO_TARGET_DIR=str(ROOT / "target"))
    done = subprocess.run(["cargo", "run", "-q", "--offline", "--manifest-path", str(crate / "Cargo.toml")],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^created \S+$", done.stdout, re.M), done.stdout
