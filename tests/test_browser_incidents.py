"""事件登记 in a real browser (issue 19), as the tenant admin, in Chinese: with the page's
script, typing in "查找对象" fills "对象" from the API and the incident is registered; without
any script, "查找" draws the form again with the matches; a refusal names the field. The
list is paged. Screenshots at a phone's width and a desktop's go to ``tests/artifacts/``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from test_browser import ARTIFACTS, CHROMIUM, _login, _require_chromium, live_server  # noqa: F401

from zhibu.db import db
from zhibu.evaluations import facts
from zhibu.models import Incident, Tenant
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing.fixtures import make_test_app

pytestmark = pytest.mark.browser


def _list_of_incidents(tmp_path, world) -> None:
    """Sixty units' and members' incidents, straight into the live server's database."""
    app = make_test_app(f"sqlite:///{tmp_path / 'zhibu.sqlite3'}", tmp_path)
    with app.app_context(), use_scope(system_scope()):
        kinds = list(facts.incident_kinds(db.session.get(Tenant, world.ids["A"])))
        for n in range(60):
            member = n % 3 == 0
            db.session.add(
                Incident(
                    tenant_id=world.ids["A"],
                    subject_kind="member" if member else "org",
                    subject_id=world.ids["A-M1" if member else "A-Z02"],
                    kind=kinds[n % len(kinds)],
                    occurred_on=date(2020, 1, 1) + timedelta(days=3 * n),
                    note=f"第{n}条说明",
                )
            )
        db.session.commit()
        db.engine.dispose()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"incidents-{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1280])
def test_admin_finds_the_subject_with_and_without_the_script(live_server, tmp_path, width):  # noqa: F811
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, world, _cycles = live_server
    _list_of_incidents(tmp_path, world)
    url = f"{base}/t/{world.id('A')}/incidents"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        for script in (True, False):
            context = browser.new_context(
                viewport={"width": width, "height": 900}, locale="zh-CN", java_script_enabled=script
            )
            page = context.new_page()
            page.set_default_timeout(20_000)
            _login(page, base, "admin_a")
            page.goto(url)
            expect(page.locator(".pager")).to_contain_text("共 60 条" if script else "共 61 条")
            if script:
                _shot(page, f"list-{width}")
                page.fill("input[name=q]", "张")  # typed: the script asks the API
                expect(page.locator("#subject-found")).to_contain_text("找到 0 个组织、1 名党员")
                expect(page.locator("#subject")).to_have_value(f"member:{world.id('A-M1')}")
                _shot(page, f"search-script-{width}")
                page.fill("input[name=occurred_on]", "2021-05-04")
                page.fill("input[name=note]", "浏览器登记")
                page.click("#register-form button[type=submit]")
                expect(page.locator("body")).to_contain_text("已登记事件。")
                expect(page.locator(".pager")).to_contain_text("共 61 条")
            else:
                page.fill("input[name=q]", "第一")
                page.click("form[role=search] button[type=submit]")  # the page drawn again
                expect(page.locator("#subject-found")).to_contain_text("找到 1 个组织、0 名党员")
                options = page.locator("#subject option")
                expect(options).to_have_count(2)  # the prompt and 机电系第一党支部
                _shot(page, f"search-no-script-{width}")
                page.fill("input[name=archive_code]", "A-X9")
                page.fill("input[name=occurred_on]", "2021-05-04")
                page.fill("input[name=note]", "编码错了")
                page.click("#register-form button[type=submit]")
                expect(page.locator("p.error")).to_contain_text("档案编码:本单位没有档案编码为")
                expect(page.locator("input[name=note]")).to_have_value("编码错了")
                _shot(page, f"error-{width}")
                page.fill("input[name=archive_code]", "")
                page.select_option("#subject", f"org:{world.id('A-Z01')}")
                page.click("#register-form button[type=submit]")
                expect(page.locator("body")).to_contain_text("已登记事件。")
            context.close()
        browser.close()
