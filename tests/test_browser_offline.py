"""Issue 25, in a real browser: an assessor opens 我的评分表 online, the network goes away
(``context.set_offline``), they score two sheets (one with a photo taken at 3000×2000,
shrunk on the device), reload the page offline and find everything kept; back online they
sync: one sheet is stored, the other refused with the server's reason; fixed and synced
again, both are stored, and the photo with its deduction. At a phone's width (390 px);
screenshots go to ``tests/artifacts/`` (and ``ZHIBU_SHOTS``, if set).

Debian's chromium driven headless by Playwright (see tests/test_browser.py)."""

from __future__ import annotations

import io
import os
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image
from test_browser import ARTIFACTS, CHROMIUM, _login, _require_chromium, live_server  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def phone():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, locale="zh-CN", device_scale_factor=2
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        yield context, page
        browser.close()


def _shot(page, name: str) -> None:
    folders = [ARTIFACTS] + (
        [Path(os.environ["ZHIBU_SHOTS"])] if "ZHIBU_SHOTS" in os.environ else []
    )
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _until(page, expression: str, seconds: float = 20) -> None:
    """Wait until ``expression`` is true in the page (polled: the page's CSP allows no
    script made from a string, which the browser driver's own waiting would need)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still not true: {expression}"
        page.wait_for_timeout(100)


def _card(page, subject_id: str):
    return page.locator(f'li[data-key*="/org/{subject_id}/assessment_team"]')


def _score(page, subject_id: str, code: str, points: str, reason: str) -> None:
    _card(page, subject_id).locator("a").click()
    page.fill(f'input[name="d-{code}"]', points)
    page.fill(f'input[name="r-{code}"]', reason)


def test_two_sheets_scored_offline_survive_a_reload_and_sync(live_server, phone, tmp_path):  # noqa: F811
    base, world, _cycles = live_server
    context, page = phone
    tenant, z01, z02 = world.id("A"), world.id("A-Z01"), world.id("A-Z02")
    photo = tmp_path / "宣传栏.jpg"
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(photo, "JPEG", quality=95)

    _login(page, base, "assessor_a")
    page.goto(f"{base}/t/{tenant}/offline")
    _until(page, "!!(navigator.serviceWorker && navigator.serviceWorker.controller)")
    page.reload()  # the worker now keeps the page as it is served
    _card(page, z01).wait_for()
    _shot(page, "offline-list-online")

    context.set_offline(True)
    _score(page, z01, "A1", "3", "台账缺页")
    page.set_input_files('input[name="p-A1"]', str(photo))
    page.locator('tr[data-code="A1"] .shots img').wait_for()
    _shot(page, "offline-sheet-offline")
    page.click("#back")
    _score(page, z02, "A2", "20", "会议记录缺失")  # above the item's 15 points
    said = page.evaluate("document.querySelector('input[name=\"d-A2\"]').validationMessage")
    assert "超过该项分值 15 分" in said  # said as it is typed, not only at the sync
    assert page.inner_text('tr[data-code="A2"] td').startswith("A2 ")  # the code, as on paper
    page.click("#back")
    assert page.inner_text("#waiting").startswith("待同步 2 份")

    page.reload()  # offline: the service worker's copy, the sheets from IndexedDB
    _card(page, z02).wait_for()
    assert page.inner_text("#net") == "离线"
    assert page.inner_text("#waiting").startswith("待同步 2 份")
    assert "1 张照片待上传" in page.inner_text("#waiting")
    _shot(page, "offline-list-after-reload")
    _card(page, z01).locator("a").click()
    assert page.input_value('input[name="d-A1"]') == "3"
    assert page.input_value('input[name="r-A1"]') == "台账缺页"
    assert page.locator('tr[data-code="A1"] .shots img').count() == 1
    page.click("#back")

    context.set_offline(False)
    _until(page, "navigator.onLine")
    page.click("#sync")
    _until(page, "document.getElementById('message').textContent.includes('被退回')")
    assert "已同步 1 份" in page.inner_text("#message")
    refused = _card(page, z02)
    assert "refused" in refused.get_attribute("class")
    assert "超过该项分值 15 分" in refused.inner_text()
    assert "synced" in _card(page, z01).get_attribute("class")
    _shot(page, "offline-list-refused")

    _score(page, z02, "A2", "5", "会议记录缺失")
    page.click("#back")
    page.click("#sync")
    _until(page, "document.getElementById('waiting').textContent.includes('没有待同步')")
    assert "synced" in _card(page, z02).get_attribute("class")

    database = sqlite3.connect(tmp_path / "zhibu.sqlite3")
    rows = database.execute(
        "SELECT s.subject_id, i.indicator, i.points, i.reason FROM score_sheets s"
        " JOIN score_items i ON i.sheet_id = s.id AND i.tenant_id = s.tenant_id"
        " WHERE s.rater = 'assessor_a' AND i.kind = 'deduction' ORDER BY i.indicator"
    ).fetchall()
    assert [
        (uuid.UUID(bytes=r[0]) if isinstance(r[0], bytes) else uuid.UUID(r[0]), *r[1:])
        for r in rows
    ] == [
        (uuid.UUID(z01), "A1", 3.0, "台账缺页"),
        (uuid.UUID(z02), "A2", 5.0, "会议记录缺失"),
    ]
    ((kind, ref, media, key),) = database.execute(
        "SELECT owner_kind, ref, media_type, storage_key FROM evidence_files"
    ).fetchall()
    assert (kind, ref, media) == ("deduction", "A1", "image/jpeg")
    stored = Image.open(io.BytesIO((tmp_path / "evidence" / key).read_bytes()))
    assert max(stored.size) == 1600  # shrunk on the device from 3000×2000
    assert database.execute("SELECT count(*) FROM sheet_syncs").fetchone()[0] == 2


def test_a_photo_uploaded_on_the_ledger_shows_as_a_thumbnail(live_server, phone, tmp_path):  # noqa: F811
    base, world, _cycles = live_server
    _context, page = phone
    photo = tmp_path / "宣传栏.jpg"
    Image.new("RGB", (1200, 900), (30, 120, 30)).save(photo, "JPEG")
    fake = tmp_path / "假照片.jpg"
    fake.write_bytes("这不是图片".encode() * 100)

    _login(page, base, "assessor_a")
    page.goto(f"{base}/t/{world.id('A')}/ledger")
    row = page.locator("table.ledger tbody tr").first
    row.locator('form[action$="/evidence"] input[type=file]').set_input_files(str(fake))
    row.locator('form[action$="/evidence"] button').click()
    assert "内容却不是 JPEG、PNG 或 HEIC 图片" in page.inner_text("main")
    _shot(page, "ledger-refused-upload")
    page.goto(f"{base}/t/{world.id('A')}/ledger")
    row = page.locator("table.ledger tbody tr").first
    row.locator('form[action$="/evidence"] input[type=file]').set_input_files(str(photo))
    row.locator('form[action$="/evidence"] button').click()
    page.locator(".evidence img").first.wait_for()
    assert page.locator(".evidence img").first.evaluate("img => img.naturalWidth") > 0
    assert "宣传栏.jpg" in page.inner_text(".evidence")
    _shot(page, "ledger-evidence")


def _stored_photo(tmp_path, owner_kind: str) -> Image.Image:
    database = sqlite3.connect(tmp_path / "zhibu.sqlite3")
    ((key,),) = database.execute(
        "SELECT storage_key FROM evidence_files WHERE owner_kind = ?", (owner_kind,)
    ).fetchall()
    return Image.open(io.BytesIO((tmp_path / "evidence" / key).read_bytes()))


def test_the_score_sheet_page_takes_a_photo_of_a_deduction_shrunk_on_the_phone(
    live_server,  # noqa: F811
    phone,
    tmp_path,
):
    """评分表 online, at 390 px: the assessor types a deduction, takes a 3000×2000 photo of
    it on its row; the page shrinks it (longer side 1600) and shows its thumbnail on the
    row; the explanation shows it beside the deduction after a recompute."""
    base, world, cycles = live_server
    _context, page = phone
    tenant, z01, cycle = world.id("A"), world.id("A-Z01"), cycles["A"]
    photo = tmp_path / "活动室.jpg"
    Image.new("RGB", (3000, 2000), (30, 90, 200)).save(photo, "JPEG", quality=95)

    _login(page, base, "assessor_a")
    sheet = f"{base}/t/{tenant}/cycles/{cycle}/sheets/org/{z01}/assessment_team"
    page.goto(sheet)
    page.fill('input[name="d-A1"]', "2")
    page.fill('input[name="r-A1"]', "活动室未挂牌")
    page.locator('input[name="r-A1"]').press("Tab")
    _until(page, "document.getElementById('sheet-status').textContent === '已保存'")
    page.set_input_files('tr[data-code="A1"] input.photo', str(photo))
    shot = page.locator('tr[data-code="A1"] .shots img')
    shot.wait_for()
    _until(page, "document.querySelector('tr[data-code=\"A1\"] .shots img').naturalWidth > 0")
    assert "照片已上传" in page.inner_text('tr[data-code="A1"] .photo-status')
    _shot(page, "sheet-photo")
    assert max(_stored_photo(tmp_path, "deduction").size) == 1600  # shrunk on the phone
    page.reload()  # kept on the row
    assert page.locator('tr[data-code="A1"] .shots img').count() == 1

    from test_web_pages import result_id

    from zhibu.db import db
    from zhibu.evaluations import compute
    from zhibu.models import Cycle
    from zhibu.tenancy import system_scope, use_scope
    from zhibu.testing.fixtures import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'zhibu.sqlite3'}", tmp_path)
    with app.app_context(), use_scope(system_scope()):
        compute.recompute(db.session.get(Cycle, (world.ids["A"], cycle)))
    result = result_id(app, world, "A", "A-Z01")
    with app.app_context():
        db.engine.dispose()
    page.goto(f"{base}/t/{tenant}/cycles/{cycle}/results/{result}")
    mine = page.locator("details", has=page.locator("summary", has_text="assessor_a")).first
    mine.locator("summary").first.click()  # the rater's lines, folded among several raters
    line = mine.locator("tr", has_text="活动室未挂牌")
    line.locator(".evidence img").wait_for()
    line.scroll_into_view_if_needed()
    _shot(page, "sheet-photo-explanation")


def _publish(world, cycle, tmp_path) -> None:
    """Publish tenant A's cycle in the live server's database (the member may object)."""
    from zhibu.db import db
    from zhibu.evaluations import publication
    from zhibu.models import Cycle
    from zhibu.tenancy import system_scope, use_scope
    from zhibu.testing.fixtures import make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / 'zhibu.sqlite3'}", tmp_path)
    with app.app_context(), use_scope(system_scope()):
        publication.publish(db.session.get(Cycle, (world.ids["A"], cycle)), based_on=0)
        db.engine.dispose()


def test_an_objection_is_filed_with_a_photo_and_the_admin_sees_it(live_server, phone, tmp_path):  # noqa: F811
    """A member objects to a published result with a photo (3000×2000, shrunk on the
    phone) and a non-photo named .jpg: refused with the reason, the reason kept; again with
    the photo: filed, its thumbnail shown; the administrator sees it beside the answer
    form."""
    base, world, cycles = live_server
    _context, page = phone
    tenant, cycle = world.id("A"), cycles["A"]
    _publish(world, cycle, tmp_path)
    photo = tmp_path / "测评票.jpg"
    Image.new("RGB", (3000, 2000), (220, 200, 30)).save(photo, "JPEG", quality=95)
    fake = tmp_path / "假照片.jpg"
    fake.write_bytes("这不是图片".encode() * 100)

    _login(page, base, "member_a")
    page.goto(f"{base}/t/{tenant}/cycles/{cycle}/publication")
    page.locator("tr", has_text="机电系第二党支部").locator("a", has_text="提出异议").click()
    page.fill("#reason", "民主测评票有一张漏计,见照片")
    page.set_input_files("#objection-files", [str(fake)])
    _until(page, "document.getElementById('chosen-files').textContent.includes('假照片')")
    page.click("form.objection-form button[type=submit]")
    page.locator("#problem").wait_for()
    assert "内容却不是 JPEG、PNG 或 HEIC 图片" in page.inner_text("#problem")
    assert page.input_value("#reason") == "民主测评票有一张漏计,见照片"
    page.set_input_files("#objection-files", [str(photo)])
    _until(page, "document.getElementById('chosen-files').textContent.includes('测评票')")
    _shot(page, "objection-form")
    page.click("form.objection-form button[type=submit]")
    page.locator(".objection .evidence img").wait_for()
    _until(page, "document.querySelector('.objection .evidence img').naturalWidth > 0")
    _shot(page, "objection-mine")
    assert max(_stored_photo(tmp_path, "objection").size) == 1600
    page.click("header form.inline button")
    page.wait_for_url("**/login")

    _login(page, base, "admin_a")
    page.goto(f"{base}/t/{tenant}/cycles/{cycle}/objections")
    card = page.locator(".objection", has_text="民主测评票有一张漏计")
    card.locator(".evidence img").wait_for()
    assert card.locator("textarea[name=answer]").count() == 1
    _shot(page, "objection-admin")


def test_a_photo_chosen_before_the_page_script_arrives_is_still_shrunk(
    live_server,  # noqa: F811
    phone,
    tmp_path,
):
    """On a slow phone the objection form shows before its (deferred) script has come; a
    photo chosen in that moment is shrunk and named once the script runs, not sent as taken
    (the race that once left 已选 empty)."""
    base, world, cycles = live_server
    _context, page = phone
    tenant, cycle = world.id("A"), cycles["A"]
    _publish(world, cycle, tmp_path)
    photo = tmp_path / "迟到的照片.png"
    Image.new("RGB", (3000, 2000), (20, 120, 200)).save(photo, "PNG")

    _login(page, base, "member_a")
    page.goto(f"{base}/t/{tenant}/cycles/{cycle}/publication")
    link = page.locator("tr", has_text="机电系第二党支部").locator("a", has_text="提出异议")
    held = []

    def hold(route) -> None:  # the script is held back: a slow network
        held.append(route)

    page.route("**/files.js*", hold)
    page.goto(base + link.get_attribute("href"), wait_until="commit")
    page.locator("#objection-files").wait_for(state="attached")
    page.set_input_files("#objection-files", [str(photo)])
    while not held:
        page.wait_for_timeout(50)
    assert page.inner_text("#chosen-files") == ""  # nothing has run yet
    held[0].continue_()
    _until(page, "document.getElementById('chosen-files').textContent === '迟到的照片.jpg'")
    names = page.evaluate(
        "Array.from(document.getElementById('objection-files').files).map(f => f.type)"
    )
    assert names == ["image/jpeg"]  # the shrunk copy replaced the photo as taken


def test_the_county_overseer_opens_a_shared_sign_off_photo_from_the_ledger(
    live_server,  # noqa: F811
    phone,
    tmp_path,
):
    """The county department (overseer_c, through its oversight link) drills down from its
    overview to a tenant's 整改台账: the 销号 photo of a county_observation item shows as a
    thumbnail and opens; the item's own photo is a count."""
    base, world, _cycles = live_server
    _context, page = phone
    from zhibu.accounts.access import system_access
    from zhibu.db import db
    from zhibu.evaluations import cycles
    from zhibu.evidence import service
    from zhibu.models import RectificationItem, Tenant, TenantScheme
    from zhibu.tenancy import system_scope, use_scope
    from zhibu.testing.fixtures import make_test_app

    def photo(colour) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (800, 600), colour).save(out, "JPEG")
        return out.getvalue()

    app = make_test_app(f"sqlite:///{tmp_path / 'zhibu.sqlite3'}", tmp_path)
    with app.app_context(), use_scope(system_scope()):
        tenant_id = world.ids["A"]
        db.session.add(TenantScheme(tenant_id=tenant_id, scheme_key="county_observation"))
        db.session.commit()
        county = cycles.open_cycle(
            db.session.get(Tenant, tenant_id), "county_observation", "2021Q3"
        )
        item = db.session.scalars(
            db.select(RectificationItem).where(RectificationItem.tenant_id == tenant_id)
        ).first()
        item.cycle_id = county.id
        db.session.commit()
        access = system_access(tenant_id)
        service.attach(access, "item", item.id, [("问题照片.jpg", photo((150, 20, 20)))])
        service.attach(access, "sign_off", item.id, [("宣传栏整改后.jpg", photo((20, 150, 20)))])
        db.engine.dispose()

    _login(page, base, "overseer_c")
    page.goto(f"{base}/t/{world.id('C')}/oversight")
    page.locator(f'a[href^="/t/{world.id("A")}/ledger"]').first.click()
    page.wait_for_url(f"**/t/{world.id('A')}/ledger**")
    page.locator(".evidence img").first.wait_for()
    _until(page, "document.querySelector('.evidence img').naturalWidth > 0")
    text = page.inner_text("table.ledger")
    assert "宣传栏整改后.jpg" in text and "问题照片.jpg" not in text
    assert "另有佐证材料 1 份" in text and "上传" not in text
    _shot(page, "overseer-ledger-shared")
    opened = page.request.get(base + page.locator(".evidence ul a").first.get_attribute("href"))
    assert opened.status == 200 and opened.headers["content-type"] == "image/jpeg"


def test_the_ledger_on_a_phone_is_cards_with_thumbnails_and_no_sideways_scroll(
    live_server,  # noqa: F811
    phone,
    tmp_path,
):
    """The 整改台账 at 390 px: one card per item; a 3000×2000 photo chosen on an item is
    shrunk on the phone before it is sent (stored at 1600 px), its thumbnail shows in the
    card and the page does not scroll sideways; an iPhone's HEIC photo, which Chromium
    cannot open, is sent as it is and kept as a JPEG."""
    import pillow_heif

    base, world, _cycles = live_server
    _context, page = phone
    photo = tmp_path / "宣传栏整改.jpg"
    Image.new("RGB", (3000, 2000), (30, 120, 30)).save(photo, "JPEG", quality=95)
    heic = tmp_path / "IMG_0042.HEIC"
    pillow_heif.from_pillow(Image.new("RGB", (400, 300), (200, 30, 30))).save(
        str(heic), format="HEIF"
    )
    wide = "document.documentElement.scrollWidth <= window.innerWidth"

    _login(page, base, "assessor_a")
    page.goto(f"{base}/t/{world.id('A')}/ledger")
    assert page.evaluate(wide), "the ledger scrolls sideways on a phone"
    row = page.locator("table.ledger tbody tr").first
    assert row.locator("td").first.evaluate("td => getComputedStyle(td).display") == "block"
    form = row.locator('form[action$="/evidence"]')
    form.locator("input[type=file]").set_input_files(str(photo))
    _until(page, "document.querySelector('[id^=chosen-item-]').textContent.includes('.jpg')")
    form.locator("button").click()
    page.locator(".evidence img").first.wait_for()
    _until(page, "document.querySelector('.evidence img').naturalWidth > 0")
    assert "宣传栏整改.jpg" in page.inner_text(".evidence")
    assert page.evaluate(wide), "the ledger with a thumbnail scrolls sideways"
    box = page.locator(".evidence img").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    _shot(page, "ledger-phone-cards")
    assert max(_stored_photo(tmp_path, "item").size) == 1600  # shrunk on the phone

    row = page.locator("table.ledger tbody tr").first
    form = row.locator('form[action$="/evidence"]')
    form.locator("input[type=file]").set_input_files(str(heic))
    form.locator("button").click()  # while it is still being looked at: sent when done
    page.wait_for_load_state()
    _until(page, "document.body.innerText.includes('IMG_0042.jpg')")
    assert page.evaluate(wide)
    _shot(page, "ledger-phone-heic")
    database = sqlite3.connect(tmp_path / "zhibu.sqlite3")
    kept = database.execute(
        "SELECT filename, media_type FROM evidence_files WHERE filename LIKE 'IMG_0042%'"
    ).fetchall()
    assert kept == [("IMG_0042.jpg", "image/jpeg")]


def test_a_round_whose_sheets_have_all_closed_says_so_in_one_line(live_server, phone, tmp_path):  # noqa: F811
    """Once the assessment phase has closed, 我的评分表 does not list a college's hundreds
    of sheets each marked 已截止: one line says so, and the cards come on demand,
    read-only."""
    base, world, cycles = live_server
    _context, page = phone
    tenant, z01 = world.id("A"), world.id("A-Z01")
    database = sqlite3.connect(tmp_path / "zhibu.sqlite3")
    cycle = uuid.UUID(str(cycles["A"]))
    with database:
        database.execute(
            "UPDATE cycles SET phase = 'review' WHERE id IN (?, ?)", (cycle.hex, str(cycle))
        )
    _login(page, base, "assessor_a")
    page.goto(f"{base}/t/{tenant}/offline")
    _until(page, "!document.getElementById('all-closed').hidden")
    line = page.inner_text("#all-closed")
    assert "份评分表都已截止,只能查看" in line
    assert page.locator("#sheets").is_hidden()
    _shot(page, "offline-all-closed")
    page.click("#show-closed")
    card = _card(page, z01)
    card.wait_for()
    assert "已截止" in card.inner_text() and page.locator("#show-closed").is_hidden()
    card.locator("a").click()
    assert page.locator("#sheets").is_hidden() and page.locator("#all-closed").is_hidden()
    assert page.locator('input[name="d-A1"]').is_disabled()
    page.click("#back")
    assert page.locator("#sheets").is_visible()
