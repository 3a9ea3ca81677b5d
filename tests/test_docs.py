"""Examples in the docs are tested code: every ```python block of docs/plugins.md runs."""

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"


def python_blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_plugin_guide_example_scheme_is_valid():
    namespace: dict = {}
    exec(python_blocks("plugins.md")[0], namespace)
    schemes = namespace["zhibu_schemes"]()
    assert [s.key for s in schemes] == ["model_village"]


def test_plugin_guide_fixture_example_passes(zhibu_app):
    namespace: dict = {}
    (block,) = [b for b in python_blocks("plugins.md") if "def test_my_scheme_is_loaded" in b]
    exec(block, namespace)
    namespace["test_my_scheme_is_loaded"](zhibu_app)


def file_blocks(name: str) -> list[tuple[str, str]]:
    """The blocks of a page that show (part of) a file: ``<!-- file: path -->`` above."""
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```", text, flags=re.DOTALL)


def test_the_tutorial_shows_the_files_of_its_package():
    """Each block of the tutorial is in the file of examples/five_good it names, as it is;
    together they show every file of the package but its seed."""
    root = DOCS.parent
    shown = file_blocks("plugins.md")
    assert len(shown) >= 8
    for path, block in shown:
        assert block in (root / path).read_text(encoding="utf-8"), f"{path} differs"
    package = root / "examples" / "five_good"
    files = {
        str(p.relative_to(root))
        for p in package.rglob("*")
        if p.suffix in {".py", ".toml"} and "egg-info" not in str(p)
    }
    assert files - {path for path, _ in shown} == set()


def test_api_curl_session_runs_against_a_live_server(tmp_path):
    """docs/api.md's session, as a user would paste it, against `zhibu run`."""
    import os
    import subprocess
    import sys

    from test_demo import _free_port, _wait_for

    from zhibu.members.roster import write_roster

    zhibu = str(Path(sys.executable).with_name("zhibu"))
    env = {**os.environ, "ZHIBU_INSTANCE_PATH": str(tmp_path), "ZHIBU_PASSWORD": "api-doc-pass-1"}
    env.pop("ZHIBU_DATABASE_URL", None)
    subprocess.run([zhibu, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            zhibu,
            "users",
            "create",
            "admin",
            "--platform-admin",
            "--password",
            env["ZHIBU_PASSWORD"],
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    (tmp_path / "roster.xlsx").write_bytes(
        write_roster(
            [
                {"name": "张三", "branch": "机电系第一党支部", "archive_code": "DA-001"},
                {"name": "李四", "branch": "机电系第二党支部", "archive_code": "DA-002"},
            ]
        )
    )
    port = _free_port()
    env["BASE"] = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [zhibu, "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(env["BASE"] + "/healthz")
        script = "set -euo pipefail\n" + "\n".join(shell_blocks("api.md"))
        done = subprocess.run(
            ["bash", "-c", script],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [x for x in lines if x in {"ZZ1", "Z01", "Z02"}] == ["ZZ1", "Z01", "Z02"]
    assert "张三 DA-001" in lines and "李四 DA-002" in lines
    assert '"to_create": 2' in done.stdout and '"errors": []' in done.stdout


def shell_blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def yaml_blocks(name: str) -> list[str]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)


SCENARIO_EXAMPLES = yaml_blocks("scenarios.md")


@pytest.mark.parametrize("number", range(len(SCENARIO_EXAMPLES)))
def test_every_scenario_example_in_the_docs_runs_and_meets_its_expectations(app, number):
    import yaml

    from zhibu.evaluations.scenario import check_scenario
    from zhibu.evaluations.scenario_file import _Loader, parse_scenario

    doc = yaml.load(SCENARIO_EXAMPLES[number], Loader=_Loader)
    scenario = parse_scenario(doc, f"docs/scenarios.md example {number + 1}")
    assert scenario.entries("expect") or scenario.doc.get("expect_refusal")
    assert check_scenario(scenario, app) == []


def test_the_scenario_docs_example_test_passes(zhibu_app):
    namespace: dict = {}
    exec(python_blocks("scenarios.md")[0], namespace)
    namespace["test_every_scenario_of_the_scheme"](zhibu_app)


def test_every_scenario_key_is_documented():
    """Each section of a scenario file has its heading in docs/scenarios.md, and each key
    an entry may have is named in its section."""
    from zhibu.evaluations.scenario_file import ENTRY_KEYS, TOP_KEYS

    text = (DOCS / "scenarios.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^### `(\w+)`\n(.*?)(?=^##)", text + "\n##", flags=re.S | re.M))
    assert set(sections) == TOP_KEYS
    missing = [
        f"{section}.{key}"
        for section, keys in ENTRY_KEYS.items()
        for key in keys
        if f"`{key}`" not in sections[section]
    ]
    assert missing == []
