"""The README's tour snippets (curl, Python, Node), run as written against a spawned larkfeed:
each must exit 0 and create a card. Only the base URL comes from the environment."""

import json
import os
import pathlib
import re
import subprocess
import sys
import urllib.request

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
        wait_listening(port, timeout=60)  # importing lark_oapi takes seconds on a busy machine
        for _ in range(100):  # until the app answers
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


STREAM_LINE = 'echo "Streamed into a CardKit card, as AI bots answer." | larkfeed card stream --to ou_…'


def test_the_cli_streams_a_card_as_written(server, tmp_path):
    """The CLI section's `card stream` line, run as written: the user's chat then holds a card
    whose text is the whole line piped in, with streaming turned off."""
    line = block_starting(STREAM_LINE).strip()
    binary = pathlib.Path(os.environ.get("LARKFEED_BIN", ROOT / "target/debug/larkfeed")).resolve()
    env = dict(os.environ, PATH=f"{binary.parent}:{os.environ['PATH']}", LARKFEED_BASE_URL=server.base,
               LARKFEED_APP_ID=server.app["app_id"], LARKFEED_APP_SECRET=server.app["app_secret"])
    env.pop("LARKFEED_TEST_BACKEND", None)
    done = subprocess.run(["bash", "-c", line.replace("ou_…", server.open_id(0))], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    text = re.search(r'echo "([^"]*)"', line).group(1)
    assert out["characters"] == len(text) + 1  # echo's newline too
    from test_long_connection import call
    token = call(server.base, "POST", "/open-apis/auth/v3/tenant_access_token/internal",
                 {"app_id": server.app["app_id"], "app_secret": server.app["app_secret"]})["tenant_access_token"]
    req = urllib.request.Request(f"{server.base}/open-apis/im/v1/messages/{out['message_id']}",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req) as resp:
        message = json.load(resp)["data"]["items"][0]
    card = json.loads(message["body"]["content"])
    assert card["body"]["elements"][0]["content"].strip() == text
    assert card["config"]["streaming_mode"] is False


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


def shell_blocks():
    return re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


# Every shell block of the README, by its first line: run by the test named, or not run, and why.
RUN_BY = {
    "B=${LARKFEED_BASE_URL:-http://127.0.0.1:8980}": "test_a_readme_snippet_runs_as_written",
    "python app.py &": "test_the_click_handling_commands_run_as_written",
    "export LARKFEED_BASE_URL=http://127.0.0.1:8980 LARKFEED_APP_ID=cli_… LARKFEED_APP_SECRET=…":
        "test_the_cli_in_five_lines_runs_as_written",
    "createdb -h 127.0.0.1 -U postgres larkfeed            # or any database you own":
        "test_the_postgres_instances_run_as_written",
    STREAM_LINE: "test_the_cli_streams_a_card_as_written",
}
NOT_RUN = {
    # The first of the two commands: every test here starts this server (the debug build of the
    # same binary, on a free port); a release build would add minutes for nothing new.
    "cargo run --release -p larkfeed -- serve": "the server every test starts",
    # The second: the command that runs this very test.
    "scripts/test": "the test command itself",
}


def test_every_shell_block_of_the_readme_is_run_or_named_here():
    for block in shell_blocks():
        first = block.strip().splitlines()[0]
        assert first in RUN_BY or first in NOT_RUN, f"a README shell block no test runs: {first!r}"
        if first in RUN_BY:
            assert RUN_BY[first] in globals(), RUN_BY[first]


def block_starting(first):
    return next(b for b in shell_blocks() if b.strip().splitlines()[0] == first)


def cli_env(server):
    binary = pathlib.Path(os.environ.get("LARKFEED_BIN", ROOT / "target/debug/larkfeed")).resolve()
    env = dict(os.environ, PATH=f"{binary.parent}:{pathlib.Path(sys.executable).parent}:{os.environ['PATH']}")
    env.pop("LARKFEED_TEST_BACKEND", None)
    return env


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=60):
    import socket
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def test_the_click_handling_commands_run_as_written(server, tmp_path):
    """The click section's shell block, line by line as a person types it, placeholders filled in
    (the app's port, the base URL, `cli_…`, `ou_…`, and `om_…` from the send's answer), with the
    CLI section's variables set; its `app.py` is the section's Python block."""
    import json
    section = readme_section("Acting as the user")
    (tmp_path / "app.py").write_text(re.findall(r"```python\n(.*?)```", section, re.S)[0])
    lines = [l for l in block_starting("python app.py &").strip().splitlines() if l.strip()]
    port = free_port()
    env = cli_env(server)
    env.update(PORT=str(port), LARKFEED_BASE_URL=server.base, LARKFEED_APP_ID=server.app["app_id"],
               LARKFEED_APP_SECRET=server.app["app_secret"])
    message_id = None

    def fill(line):
        line = (line.replace("http://127.0.0.1:9000/", f"http://127.0.0.1:{port}/")
                .replace("http://127.0.0.1:8980", server.base)
                .replace("cli_…", server.app["app_id"]).replace("ou_…", server.open_id(0)))
        return line.replace("om_…", message_id) if message_id else line

    assert lines[0] == "python app.py &"
    app = subprocess.Popen(["bash", "-c", lines[0][:-1].strip()], cwd=tmp_path, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_listening(port)
        outputs = []
        for line in lines[1:]:
            done = subprocess.run(["bash", "-c", fill(line)], cwd=tmp_path, env=env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, f"{line}\n{done.stdout}{done.stderr}"
            outputs.append(done.stdout)
            if "message send" in line:
                message_id = json.loads(done.stdout)["message_id"]
        acted = json.loads(outputs[-1])
        assert acted["delivered"] is True, acted
        assert acted["applied"]["toast"] == {"type": "success", "content": "got {'order': '42'}"}, acted
    finally:
        app.kill()
        app.wait()
        subprocess.run(["curl", "-s", "-X", "PUT", f"{server.base}/_larkfeed/apps/{server.app['app_id']}",
                        "-d", '{"callback_url": null}'], capture_output=True)


def test_the_postgres_instances_run_as_written(tmp_path):
    """The PostgreSQL section's block, with a database and two ports of the test's own in place of
    `larkfeed`, 8981 and 8982: two instances start on one database and answer."""
    import uuid
    url = os.environ.get("LARKFEED_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
    check = subprocess.run(["psql", url, "-Atqc", "select 1"], capture_output=True, text=True)
    if check.returncode != 0:
        pytest.skip(f"no PostgreSQL answers at {url}")
    name = f"lf_readme_{uuid.uuid4().hex[:12]}"
    ports = {"8981": str(free_port()), "8982": str(free_port())}
    block = block_starting("createdb -h 127.0.0.1 -U postgres larkfeed            # or any database you own")
    script = block.replace("postgres larkfeed ", f"postgres {name} ").replace("5432/larkfeed", f"5432/{name}")
    for old, new in ports.items():
        script = script.replace(old, new)
    # The servers the block leaves running are stopped when the script ends.
    script = "set -e\n" + script + "\nkill $(jobs -p)\nwait\n"
    env = cli_env(None)
    try:
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"status":"ok"}' in done.stdout, done.stdout
        assert done.stdout.count("larkfeed listening on") == 2, done.stdout
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name],
                       capture_output=True)


def use_in_tests_snippets():
    readme = (ROOT / "README.md").read_text()
    part = readme.split("## Use it in your tests", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(python|js)\n(.*?)```", part, re.S)


def test_the_test_suite_snippets_are_short_and_run_as_written(tmp_path):
    """The Python and Node snippets of "Use it in your tests", each under ten lines, run as
    written beside the example bot they name (docs/examples/*-bot/bot.*)."""
    snippets = dict(use_in_tests_snippets())
    assert set(snippets) == {"python", "js"}
    for lang, code in snippets.items():
        assert len(code.strip().splitlines()) <= 10, (lang, code)
    env = dict(os.environ, NODE_PATH=str(ROOT / ".peers" / "node" / "node_modules"))
    env.pop("LARKFEED_TEST_BACKEND", None)
    py = tmp_path / "py"
    py.mkdir()
    (py / "bot.py").write_text((ROOT / "docs/examples/python-bot/bot.py").read_text())
    (py / "test_snippet.py").write_text(snippets["python"])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(py)],
                          cwd=py, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout, done.stdout
    js = tmp_path / "js"
    js.mkdir()
    (js / "bot.js").write_text((ROOT / "docs/examples/node-bot/bot.js").read_text())
    (js / "snippet.test.js").write_text(snippets["js"])
    done = subprocess.run(["node", "--test", str(js / "snippet.test.js")], cwd=js, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 1" in done.stdout, done.stdout
