"""Texts that still came out in two languages at once, or in one for everyone: an item
raised for a result's action, a recompute job's refusal, the rows it names. Each is
stored in Chinese (the seeds' language) and shown in the reader's language."""

from __future__ import annotations

import uuid

import pytest
from authz_scene import build_scene, login, result_id
from sqlalchemy import update

from zhibu.db import db
from zhibu.models import RectificationItem
from zhibu.tenancy import system_scope, use_scope

PLAN_ZH = "星级评定结果为两星及以下,制定整改方案"
PLAN_EN = "Rated two stars or fewer: draw up a rectification plan"


@pytest.fixture
def scene(app):
    return build_scene(app)


def test_an_item_raised_for_an_action_is_stored_in_chinese_and_shown_in_the_readers(
    app, client, scene
):
    tenant = scene.id("A")
    client.get("/lang/en?next=/")  # the caller chose English: the item is stored in Chinese
    made = client.post(
        f"/api/v1/tenants/{tenant}/rectification/from-result",
        json={
            "action": "rectification_plan",
            "deadline": "2030-06-30",
            "result_id": str(result_id(app, scene, "A-Z01")),
        },
        headers=scene.world.headers["admin_a"],
    )
    assert made.status_code == 201, made.json
    assert made.json["issue"] == f"A-Z01:{PLAN_ZH}"
    login(client, "admin_a")
    english = client.get(f"/t/{tenant}/ledger").text
    assert f"A-Z01: {PLAN_EN}" in english and PLAN_ZH not in english
    client.get("/lang/zh?next=/")
    chinese = client.get(f"/t/{tenant}/ledger").text
    assert f"A-Z01:{PLAN_ZH}" in chinese and "rectification plan" not in chinese
    # an item stored before, as "中文 / English", is read the same way
    with app.app_context(), use_scope(system_scope()):
        db.session.execute(
            update(RectificationItem)
            .where(RectificationItem.id == uuid.UUID(made.json["id"]))
            .values(issue=f"A-Z01: {PLAN_ZH} / rectification plan")
        )
        db.session.commit()
    chinese = client.get(f"/t/{tenant}/ledger").text
    assert f"A-Z01:{PLAN_ZH}" in chinese and "rectification plan" not in chinese
    client.get("/lang/en?next=/")
    assert f"A-Z01: {PLAN_EN}" in client.get(f"/t/{tenant}/ledger").text
