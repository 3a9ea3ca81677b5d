"""The engine is pure: importing it loads no web framework and no database layer, and its
source reads no clock and draws no random numbers."""

import re
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).parents[2] / "platform" / "zhibu" / "engine"


def test_importing_the_engine_loads_no_flask_and_no_sqlalchemy():
    code = (
        "import sys, zhibu.engine, zhibu.engine.rules; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'flask_sqlalchemy', 'redis', 'rq'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_engine_reads_no_clock_and_no_randomness():
    pattern = re.compile(r"\b(datetime\.now|date\.today|time\.time|random\.|uuid4)\b")
    offenders = [
        f"{p.name}:{n}"
        for p in ENGINE.glob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
