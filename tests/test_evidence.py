"""Issue 25: evidence (佐证材料) on the rectification ledger and deductions.

Files are checked by content (a text file named .jpg is refused, HEIC becomes JPEG), size
limited, zip and decompression bombs refused, each with a message naming the file; stored
per tenant, shown with thumbnails to those who may see them and counted for overseers; a
销号 of an item raised from a deduction needs a file or a note where the scheme says so. On
both backends."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import date
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image
from sqlalchemy import select
from test_web_pages import login, seeded  # noqa: F401  (fixture)

from zhibu.accounts.access import system_access
from zhibu.db import db
from zhibu.evaluations import ledger
from zhibu.evidence import checks
from zhibu.models import (
    Cycle,
    EvidenceFile,
    RectificationItem,
    SchemeVersion,
    ScoreItem,
    ScoreSheet,
)
from zhibu.tenancy import system_scope, use_scope


def jpeg(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()


def heic() -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 48), (10, 200, 10))).save(out, format="HEIF")
    return out.getvalue()


def docx(part_size: int = 2000) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        book.writestr("word/document.xml", b"<w:document>" + b"0" * part_size)
    return out.getvalue()


# --- the checks, on bytes -------------------------------------------------------------


def test_a_photo_is_kept_with_a_thumbnail():
    checked = checks.check("宣传栏.jpg", jpeg())
    assert checked.media_type == "image/jpeg" and checked.is_photo
    thumb = Image.open(io.BytesIO(checked.thumbnail))
    assert max(thumb.size) == checks.THUMB


def test_heic_is_converted_to_jpeg():
    checked = checks.check("IMG_0001.HEIC", heic())
    assert checked.media_type == "image/jpeg" and checked.filename == "IMG_0001.jpg"
    assert Image.open(io.BytesIO(checked.content)).format == "JPEG"


def test_pdf_and_office_documents_are_taken_by_content_whatever_their_name():
    assert checks.check("台账.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n").media_type == (
        "application/pdf"
    )
    found = checks.check("整改方案", docx())  # no extension at all
    assert found.media_type.endswith("wordprocessingml.document") and found.thumbnail is None


def test_a_text_file_named_jpg_is_refused_naming_it():
    with pytest.raises(checks.EvidenceError) as refused:
        checks.check("现场照片.jpg", "这不是图片".encode() * 50)
    assert "现场照片.jpg" in refused.value.message and "不是" in refused.value.message


def test_an_unknown_kind_is_refused_saying_what_is_taken():
    with pytest.raises(checks.EvidenceError) as refused:
        checks.check("notes.txt", b"plain text " * 20)
    assert "PDF" in refused.value.message and "notes.txt" in refused.value.message


def test_an_oversized_file_is_refused_with_both_sizes():
    with pytest.raises(checks.EvidenceError) as refused:
        checks.check("大照片.jpg", jpeg(), checks.Limits(max_bytes=1000))
    assert "大照片.jpg" in refused.value.message and "超过上限" in refused.value.message


def test_a_decompression_bomb_image_is_refused():
    out = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(out, "PNG")  # 60 million pixels in a few KB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(checks.EvidenceError) as refused:
        checks.check("bomb.png", out.getvalue())
    assert "10000×6000" in refused.value.message and "解压炸弹" in refused.value.message


def test_an_office_zip_bomb_is_refused_by_what_it_unpacks_to():
    bomb = docx(part_size=3 * checks.MB)
    assert len(bomb) < 50_000
    with pytest.raises(checks.EvidenceError) as refused:
        checks.check("bomb.docx", bomb, checks.Limits(max_unpacked=2 * checks.MB))
    assert "压缩炸弹" in refused.value.message and "bomb.docx" in refused.value.message


def test_a_bomb_whose_header_lies_about_its_size_is_still_refused():
    """The archive declares its part small; the bytes unpacked are counted."""
    bomb = bytearray(docx(part_size=3 * checks.MB))
    with zipfile.ZipFile(io.BytesIO(bytes(bomb))) as archive:
        info = archive.getinfo("word/document.xml")
    # the central directory's uncompressed size of the part: written as 100 bytes
    directory = bomb.rfind(b"PK\x01\x02", 0, len(bomb))
    while directory >= 0 and b"word/document.xml" not in bomb[directory : directory + 80]:
        directory = bomb.rfind(b"PK\x01\x02", 0, directory)
    bomb[directory + 24 : directory + 28] = (100).to_bytes(4, "little")
    assert info.file_size > 2 * checks.MB
    with pytest.raises(checks.EvidenceError) as refused:
        checks.check("liar.docx", bytes(bomb), checks.Limits(max_unpacked=2 * checks.MB))
    assert "liar.docx" in refused.value.message


# --- on the ledger, as the users ------------------------------------------------------


def token(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def item_of(app, world) -> uuid.UUID:
    with app.app_context(), use_scope(system_scope()):
        return db.session.scalar(
            select(RectificationItem.id).where(RectificationItem.tenant_id == world.ids["A"])
        )


def post_files(client, url: str, files: list[tuple[str, bytes]], **fields):
    page = client.get(url.split("/ledger/")[0] + "/ledger")
    data = {"csrf_token": token(page), **fields}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(url, data=data, content_type="multipart/form-data")


def test_an_item_carries_photos_shown_as_thumbnails_and_counted_for_overseers(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    tenant, item = world.id("A"), item_of(app, world)
    login(client, "assessor_a")
    sent = post_files(client, f"/t/{tenant}/ledger/{item}/evidence", [("宣传栏.jpg", jpeg())])
    assert sent.status_code == 302
    page = client.get(f"/t/{tenant}/ledger")
    files = re.findall(rf"/t/{tenant}/evidence/([0-9a-f-]+)/thumb", page.text)
    assert len(files) == 1 and "宣传栏.jpg" in page.text
    photo = client.get(f"/t/{tenant}/evidence/{files[0]}")
    assert photo.status_code == 200 and photo.data == jpeg()
    thumb = client.get(f"/t/{tenant}/evidence/{files[0]}/thumb")
    assert Image.open(io.BytesIO(thumb.data)).size[0] == checks.THUMB
    # stored in the tenant's own folder of the instance
    with app.app_context(), use_scope(system_scope()):
        row = db.session.get(EvidenceFile, (world.ids["A"], uuid.UUID(files[0])))
        assert row.storage_key.startswith(f"{tenant}/")
    assert (Path(app.instance_path) / "evidence" / row.storage_key).read_bytes() == jpeg()
    client.post("/logout", data={"csrf_token": token(page)})

    login(client, "overseer_c")  # through the oversight link: the count, not the file
    page = client.get(f"/t/{tenant}/ledger")
    assert "佐证材料 1 份" in page.text and "/thumb" not in page.text
    assert client.get(f"/t/{tenant}/evidence/{files[0]}").status_code == 403
    client.post("/logout", data={"csrf_token": token(page)})

    login(client, "admin_b")  # another tenant: no such file, under either tenant
    assert client.get(f"/t/{tenant}/evidence/{files[0]}").status_code == 404
    other = world.id("B")
    assert client.get(f"/t/{other}/evidence/{files[0]}").status_code == 404


def test_a_refused_upload_says_why_and_stores_nothing(app, client, world, seeded):  # noqa: F811
    tenant, item = world.id("A"), item_of(app, world)
    login(client, "admin_a")
    url = f"/t/{tenant}/ledger/{item}/evidence"
    good, fake = ("好照片.jpg", jpeg()), ("假照片.jpg", b"MZ\x90\x00 not a photo" * 40)
    refused = post_files(client, url, [good, fake])  # said on the ledger, nothing kept
    assert refused.status_code == 302
    said = client.get(refused.headers["Location"]).text
    assert "假照片.jpg" in said and "不是 JPEG、PNG 或 HEIC 图片" in said
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalars(select(EvidenceFile)).all() == []
    folder = Path(app.instance_path) / "evidence"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_follow_up_and_a_sign_off_carry_files_and_a_note(app, client, world, seeded):  # noqa: F811
    tenant, item = world.id("A"), item_of(app, world)
    login(client, "assessor_a")
    sent = post_files(
        client,
        f"/t/{tenant}/ledger/{item}/follow-up",
        [("IMG_0002.heic", heic()), ("台账.docx", docx())],
        checked_on="2021-08-01",
        finding="台账已补齐",
        satisfactory="1",
    )
    assert sent.status_code == 302
    sent = post_files(
        client, f"/t/{tenant}/ledger/{item}/sign-off", [], note="查看了补齐后的台账原件"
    )
    assert sent.status_code == 302
    page = client.get(f"/t/{tenant}/ledger")
    assert "IMG_0002.jpg" in page.text and "台账.docx" in page.text
    assert "查看了补齐后的台账原件" in page.text
    with app.app_context(), use_scope(system_scope()):
        kinds = sorted(f.owner_kind for f in db.session.scalars(select(EvidenceFile)))
        stored = db.session.get(RectificationItem, (world.ids["A"], item))
    assert kinds == ["follow_up", "follow_up"] and stored.status == "signed_off"


def test_an_iphone_heic_photo_is_kept_as_a_jpeg_on_the_item_and_its_sign_off(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    """A HEIC photo sent as it is (a browser that cannot open it does not shrink it) to the
    item's upload and to its 销号: each kept as a JPEG with a thumbnail, named .jpg."""
    tenant, item = world.id("A"), item_of(app, world)
    login(client, "assessor_a")
    sent = post_files(client, f"/t/{tenant}/ledger/{item}/evidence", [("IMG_0101.HEIC", heic())])
    assert sent.status_code == 302
    with app.app_context(), use_scope(system_scope()):
        db.session.get(RectificationItem, (world.ids["A"], item)).status = "rectified"
        db.session.commit()
    sent = post_files(client, f"/t/{tenant}/ledger/{item}/sign-off", [("IMG_0102.heif", heic())])
    assert sent.status_code == 302
    with app.app_context(), use_scope(system_scope()):
        kept = sorted(
            (f.owner_kind, f.filename, f.media_type, f.thumb_key is not None)
            for f in db.session.scalars(select(EvidenceFile))
        )
    assert kept == [
        ("item", "IMG_0101.jpg", "image/jpeg", True),
        ("sign_off", "IMG_0102.jpg", "image/jpeg", True),
    ]


def _deduction_item(app, world, needs: bool) -> uuid.UUID:
    """An item raised (by the administrator) from A-Z01's deduction; the cycle's version
    asks for evidence at sign-off or not; a satisfactory follow-up recorded."""
    with app.app_context(), use_scope(system_scope()):
        tenant_id = world.ids["A"]
        deduction = db.session.scalar(
            select(ScoreItem)
            .join(ScoreSheet, ScoreSheet.id == ScoreItem.sheet_id)
            .where(
                ScoreItem.tenant_id == tenant_id,
                ScoreItem.kind == "deduction",
                ScoreSheet.subject_id == world.ids["A-Z01"],
            )
        )
        sheet = db.session.get(ScoreSheet, (tenant_id, deduction.sheet_id))
        cycle = db.session.get(Cycle, (tenant_id, sheet.cycle_id))
        version = db.session.get(SchemeVersion, (tenant_id, cycle.version_id))
        version.settings = {**version.settings, ledger.SIGN_OFF_SETTING: needs}
        db.session.commit()
        access = system_access(tenant_id)
        item = ledger.raise_from_deduction(access, deduction.id, deadline=date(2030, 1, 1))
        item.raised_by = world.ids["admin_a"]
        item.status = "rectified"
        db.session.commit()
        return item.id


def test_sign_off_of_a_deduction_needs_a_file_or_a_note_where_the_scheme_says(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    tenant, item = world.id("A"), _deduction_item(app, world, needs=True)
    login(client, "assessor_a")
    refused = post_files(client, f"/t/{tenant}/ledger/{item}/sign-off", [])
    assert refused.status_code == 302  # back on the ledger, which says why
    assert "销号须上传至少一份佐证材料" in client.get(refused.headers["Location"]).text
    with app.app_context(), use_scope(system_scope()):
        assert db.session.get(RectificationItem, (world.ids["A"], item)).status == "rectified"
    sent = post_files(client, f"/t/{tenant}/ledger/{item}/sign-off", [("整改后.jpg", jpeg())])
    assert sent.status_code == 302
    with app.app_context(), use_scope(system_scope()):
        assert db.session.get(RectificationItem, (world.ids["A"], item)).status == "signed_off"


def test_without_the_setting_a_deduction_is_signed_off_on_a_word(app, client, world, seeded):  # noqa: F811
    tenant, item = world.id("A"), _deduction_item(app, world, needs=False)
    login(client, "assessor_a")
    assert post_files(client, f"/t/{tenant}/ledger/{item}/sign-off", []).status_code == 302


def test_the_county_scheme_asks_for_evidence_by_default():
    from county_observation import SCHEME

    setting = next(s for s in SCHEME.settings if s.key == ledger.SIGN_OFF_SETTING)
    assert setting.default is True


def test_the_printed_ledger_and_notice_show_thumbnails_and_overseers_the_count(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    from zhibu.evidence import service

    item = _deduction_item(app, world, needs=False)
    with app.app_context(), use_scope(system_scope()):
        access = system_access(world.ids["A"])
        service.attach(access, "item", item, [("宣传栏整改后.jpg", jpeg())])
        found = db.session.get(RectificationItem, (world.ids["A"], item))
        line = db.session.get(ScoreItem, (world.ids["A"], uuid.UUID(found.origin_ref[10:])))
        service.attach(access, "deduction", line.sheet_id, [("台账.jpg", jpeg())], ref="A1")
        cycle_id = found.cycle_id
    base = f"/api/v1/tenants/{world.id('A')}/cycles/{cycle_id}/reports"
    staff = client.get(f"{base}/core.ledger.html", headers=world.headers["assessor_a"]).text
    assert "宣传栏整改后.jpg" in staff and "台账.jpg" in staff  # the item's and its deduction's
    assert staff.count('src="data:image/jpeg;base64,') == 2
    notice = client.get(f"{base}/core.notice.html", headers=world.headers["admin_a"]).text
    assert "扣分佐证材料:台账.jpg" in notice and "data:image/jpeg;base64," in notice
    overseer = client.get(f"{base}/core.ledger.html", headers=world.headers["overseer_c"])
    assert overseer.status_code == 200
    assert "佐证材料 2 份" in overseer.text and "data:image" not in overseer.text
    assert "宣传栏整改后.jpg" not in overseer.text


# --- shareable kinds: what an overseer may open --------------------------------------


def test_an_overseer_opens_the_kinds_the_scheme_shares_and_counts_the_rest(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    """county_observation shares its 销号 files with the county department: through the
    oversight link, the ledger shows them (thumbnail, list) and they open, read-only;
    the item's own photo stays a count and is refused. The same item under akesu_college
    (which shares nothing): counts only."""
    from county_observation import SCHEME
    from zhibu.evaluations import cycles
    from zhibu.evidence import service
    from zhibu.models import Tenant, TenantScheme

    assert SCHEME.shareable_evidence == {"sign_off"}
    tenant, item = world.id("A"), item_of(app, world)
    with app.app_context(), use_scope(system_scope()):
        access = system_access(world.ids["A"])
        (kept,) = service.attach(access, "item", item, [("问题照片.jpg", jpeg(640, 480))])
        (signed,) = service.attach(access, "sign_off", item, [("销号照片.jpg", jpeg(700, 500))])
        kept, signed = str(kept.id), str(signed.id)
        row = db.session.get(RectificationItem, (world.ids["A"], item))
        row.cycle_id = db.session.scalar(
            select(Cycle.id).where(
                Cycle.tenant_id == world.ids["A"], Cycle.scheme_key == "akesu_college"
            )
        )
        db.session.commit()
    files = (f"/t/{tenant}/evidence/{kept}", f"/t/{tenant}/evidence/{signed}")

    login(client, "overseer_c")  # akesu_college: nothing shared
    page = client.get(f"/t/{tenant}/ledger")
    assert "佐证材料 2 份" in page.text and "/thumb" not in page.text
    assert [client.get(f).status_code for f in files] == [403, 403]

    with app.app_context(), use_scope(system_scope()):
        db.session.add(TenantScheme(tenant_id=world.ids["A"], scheme_key="county_observation"))
        db.session.commit()
        county = cycles.open_cycle(
            db.session.get(Tenant, world.ids["A"]), "county_observation", "2021Q3"
        )
        row = db.session.get(RectificationItem, (world.ids["A"], item))
        row.cycle_id = county.id
        db.session.commit()
    page = client.get(f"/t/{tenant}/ledger")
    assert f"/evidence/{signed}/thumb" in page.text and "销号照片.jpg" in page.text
    assert "问题照片.jpg" not in page.text and "另有佐证材料 1 份" in page.text
    shared = client.get(files[1])
    assert shared.status_code == 200 and shared.data == jpeg(700, 500)
    assert client.get(f"{files[1]}/thumb").status_code == 200
    refused = client.get(files[0])
    assert refused.status_code == 403 and "只能查看佐证材料的数量" in refused.text
    assert client.get(f"{files[0]}/thumb").status_code == 403
    # read-only: no upload form, and an upload refused
    assert "选择佐证材料" not in page.text
    sent = post_files(client, f"/t/{tenant}/ledger/{item}/evidence", [("x.jpg", jpeg())])
    assert sent.status_code == 403
    # the tenant's own staff still open everything
    client.post("/logout", data={"csrf_token": token(page)})
    login(client, "assessor_a")
    assert [client.get(f).status_code for f in files] == [200, 200]


def test_an_overseer_prints_the_ledger_with_the_shared_photos_and_the_rest_counted(
    app,
    client,
    world,
    seeded,  # noqa: F811
):
    """The printable 整改台账 of a county_observation cycle, as the overseer prints it:
    the 销号 photo (shared) as a thumbnail and named, the item's own photo counted only;
    the tenant's staff print both."""
    from zhibu.evaluations import cycles
    from zhibu.evidence import service
    from zhibu.models import Tenant, TenantScheme

    item = item_of(app, world)
    with app.app_context(), use_scope(system_scope()):
        access = system_access(world.ids["A"])
        service.attach(access, "item", item, [("问题照片.jpg", jpeg(640, 480))])
        service.attach(access, "sign_off", item, [("销号照片.jpg", jpeg(700, 500))])
        db.session.add(TenantScheme(tenant_id=world.ids["A"], scheme_key="county_observation"))
        db.session.commit()
        county = cycles.open_cycle(
            db.session.get(Tenant, world.ids["A"]), "county_observation", "2021Q3"
        )
        row = db.session.get(RectificationItem, (world.ids["A"], item))
        row.cycle_id, row.member_id = county.id, None
        db.session.commit()
        url = f"/api/v1/tenants/{world.id('A')}/cycles/{county.id}/reports/core.ledger.html"
    printed = client.get(url, headers=world.headers["overseer_c"])
    assert printed.status_code == 200
    assert "销号照片.jpg;另有佐证材料 1 份" in printed.text
    assert printed.text.count('src="data:image/jpeg;base64,') == 1
    assert "问题照片.jpg" not in printed.text
    staff = client.get(url, headers=world.headers["assessor_a"]).text
    assert "问题照片.jpg、销号照片.jpg" in staff
    assert staff.count('src="data:image/jpeg;base64,') == 2


def test_a_scheme_shares_only_kinds_of_evidence_there_are():
    from zhibu.engine import Scheme

    with pytest.raises(ValueError, match="shareable_evidence objection"):
        Scheme(key="x_y", title="试", title_en="x", seed="s", shareable_evidence={"objection"})
