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
