"""Generated workbooks open in LibreOffice and print as A4 landscape PDF with their
Chinese text. Needs ``soffice`` (libreoffice-calc-nogui), CJK fonts (fonts-noto-cjk) and
``pdftotext``/``pdfinfo`` (poppler-utils): skipped without them, failed under CI=true."""

import re
import shutil
import subprocess

import pytest
from reports_world import scored_cycle

from zhibu.testing import unavailable

TOOLS = ("soffice", "pdftotext", "pdfinfo")


def require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    unavailable(f"{', '.join(missing)} not installed (apt: libreoffice-calc-nogui poppler-utils)")


def to_pdf(path, tmp_path):
    profile = tmp_path / "lo-profile"  # a profile of its own: runs side by side do not clash
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = path.with_suffix(".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return text.stdout, info


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_workbooks_print_as_a4_landscape_pdf_with_their_chinese_text(app, client, world, tmp_path):
    require_tools()
    cycle = scored_cycle(app, client, world)
    auth = world.headers["admin_a"]
    for key in ("core.ranking", "core.notice"):
        response = client.get(f"{cycle.url}/reports/{key}.xlsx", headers=auth)
        assert response.status_code == 200
        (tmp_path / f"{key}.xlsx").write_bytes(response.data)
    text, info = to_pdf(tmp_path / "core.ranking.xlsx", tmp_path)
    assert "支部考评排名表(2021)" in text
    assert "填报单位:甲学院党委" in text and "机电系第一党支部" in text
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert (round(width), round(height)) == (842, 595)  # A4 landscape, in points
    assert "第 1 页,共 1 页" in text
    text, info = to_pdf(tmp_path / "core.notice.xlsx", tmp_path)
    assert "整改通知单(机电系第二党支部)" in text and "台账不规范" in text
    assert re.search(r"Pages:\s+2", info)  # one page per unit's notice
