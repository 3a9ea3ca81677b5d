"""Issue 25: evidence files kept in an S3-compatible object store (``ZHIBU_EVIDENCE_STORE=s3``).

Against a real server: Ceph's object gateway started by ``scripts/s3-test-server`` (.ci/run
starts it; without it these tests skip, and fail under ``CI=true``). Uploads, downloads,
thumbnails and the removal of a failed upload's objects go through the evidence service and
the pages as with the local folder; a tenant cannot reach another's object; refusals store
nothing; a store that cannot be reached is a clear 503, not a half-written file. On both
backends."""

from __future__ import annotations

import io
import os
import re
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select
from test_evidence import _deduction_item, item_of, jpeg, post_files, token
from test_web_pages import login, seeded  # noqa: F401  (fixture)

from zhibu.accounts.access import system_access
from zhibu.config import ConfigError, build_config
from zhibu.db import db
from zhibu.evidence import checks, service, storage
from zhibu.models import EvidenceFile, RectificationItem
from zhibu.tenancy import system_scope, use_scope
from zhibu.testing.servers import require_s3, s3_client


@pytest.fixture(scope="session")
def s3():
    """The test server's settings and a bucket of this run's own, emptied and removed
    after it."""
    found = require_s3()
    client = s3_client(found)
    bucket = f"zhibu-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    yield {**found, "bucket": bucket, "client": client}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=entry["Key"])
    client.delete_bucket(Bucket=bucket)


def s3_config(s3, **more) -> dict:
    config = build_config(
        Path("/nonexistent"),
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "test-only",
            "ZHIBU_EVIDENCE_STORE": "s3",
            "ZHIBU_EVIDENCE_S3_BUCKET": s3["bucket"],
            "ZHIBU_EVIDENCE_S3_ENDPOINT_URL": s3["url"],
            "ZHIBU_EVIDENCE_S3_ACCESS_KEY": s3["access_key"],
            "ZHIBU_EVIDENCE_S3_SECRET_KEY": s3["secret_key"],
            **more,
        },
        {},
    )
    return {k: v for k, v in config.items() if k.startswith("ZHIBU_EVIDENCE_")}


@pytest.fixture
def app(app, s3):  # the suite's app (both backends), its evidence in the test bucket
    app.config.update(s3_config(s3))
    return app


def keys_of(s3, tenant_id) -> list[str]:
    listed = s3["client"].list_objects_v2(Bucket=s3["bucket"], Prefix=f"{tenant_id}/")
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def test_a_photo_is_uploaded_opened_and_thumbnailed_from_the_bucket(
    app,
    client,
    world,
    s3,
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
    assert photo.headers["Content-Length"] == str(len(jpeg()))
    thumb = client.get(f"/t/{tenant}/evidence/{files[0]}/thumb")
    assert thumb.status_code == 200
    assert Image.open(io.BytesIO(thumb.data)).size[0] == checks.THUMB
    # the bytes are objects of the tenant's prefix in the bucket, not files of the instance
    assert keys_of(s3, tenant) == sorted([f"{tenant}/{files[0]}", f"{tenant}/{files[0]}.thumb.jpg"])
    stored = s3["client"].get_object(Bucket=s3["bucket"], Key=f"{tenant}/{files[0]}")
    assert stored["Body"].read() == jpeg()
    assert not (Path(app.instance_path) / "evidence").exists()
    client.post("/logout", data={"csrf_token": token(page)})

    login(client, "overseer_c")  # the count, not the file
    page = client.get(f"/t/{tenant}/ledger")
    assert "佐证材料 1 份" in page.text and "/thumb" not in page.text
    assert client.get(f"/t/{tenant}/evidence/{files[0]}").status_code == 403


def test_the_printed_ledger_takes_its_thumbnails_from_the_bucket(app, client, world, s3, seeded):  # noqa: F811
    item = _deduction_item(app, world, needs=False)
    with app.app_context(), use_scope(system_scope()):
        rows = service.attach(system_access(world.ids["A"]), "item", item, [("整改后.jpg", jpeg())])
        cycle_id = db.session.get(RectificationItem, (world.ids["A"], item)).cycle_id
        assert service.store().exists(world.ids["A"], rows[0].thumb_key)
    base = f"/api/v1/tenants/{world.id('A')}/cycles/{cycle_id}/reports"
    staff = client.get(f"{base}/core.ledger.html", headers=world.headers["assessor_a"]).text
    assert "整改后.jpg" in staff and staff.count('src="data:image/jpeg;base64,') == 1


def test_a_failed_upload_removes_the_objects_it_wrote(app, world, s3, seeded):  # noqa: F811
    """Nothing half-written: the rows are rolled back and their objects deleted."""
    tenant_id, item = world.ids["A"], item_of(app, world)
    with app.app_context(), use_scope(system_scope()):
        access = system_access(tenant_id)
        checked = [service.check_upload("现场.jpg", jpeg()), service.check_upload("二.jpg", jpeg())]
        with pytest.raises(RuntimeError), service.written() as keys:
            service.add(access, "item", item, checked, keys)
            assert len(keys_of(s3, tenant_id)) == 4  # two files, two thumbnails, written
            raise RuntimeError("the commit failed")
        db.session.rollback()
        assert db.session.scalars(select(EvidenceFile)).all() == []
    assert keys_of(s3, tenant_id) == []


def said(client, refused) -> str:
    """What the ledger says after a refused upload: the page goes back to the ledger (its
    tab and page kept) and names the refusal there."""
    assert refused.status_code == 302 and "/ledger" in refused.headers["Location"]
    return client.get(refused.headers["Location"]).text


def test_refused_uploads_say_why_and_put_nothing_in_the_bucket(app, client, world, s3, seeded):  # noqa: F811
    tenant, item = world.id("A"), item_of(app, world)
    app.config["ZHIBU_EVIDENCE_MAX_BYTES"] = 20_000
    login(client, "admin_a")
    url = f"/t/{tenant}/ledger/{item}/evidence"
    fake = ("假照片.jpg", b"MZ\x90\x00 not a photo" * 40)
    refused = post_files(client, url, [fake])  # said on the ledger the form came from
    assert "不是 JPEG、PNG 或 HEIC 图片" in said(client, refused)
    refused = post_files(client, url, [("大照片.jpg", jpeg(3000, 2000))])
    assert "超过上限" in said(client, refused)
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalars(select(EvidenceFile)).all() == []
    assert keys_of(s3, tenant) == []


def test_a_tenant_cannot_reach_another_tenants_object(app, client, world, s3, seeded):  # noqa: F811
    tenant, item = world.id("A"), item_of(app, world)
    with app.app_context(), use_scope(system_scope()):
        row = service.attach(system_access(world.ids["A"]), "item", item, [("甲.jpg", jpeg())])[0]
        key, file_id = row.storage_key, row.id
        store = service.store()
        # the store itself refuses a key of another tenant than the one it is asked for
        with pytest.raises(storage.StoreError):
            store.get(world.ids["B"], key)
        with pytest.raises(storage.StoreError):
            store.put(world.ids["B"], key, b"overwritten")
        with pytest.raises(storage.StoreError):
            store.delete(world.ids["B"], key)
        assert store.get(world.ids["A"], key) == jpeg()
    login(client, "admin_b")  # another tenant's administrator: no such file, either way
    assert client.get(f"/t/{tenant}/evidence/{file_id}").status_code == 404
    assert client.get(f"/t/{world.id('B')}/evidence/{file_id}").status_code == 404
    assert client.get(f"/t/{world.id('B')}/evidence/{file_id}/thumb").status_code == 404


def test_the_store_streams_large_files_and_knows_missing_ones(app, s3):
    tenant_id = uuid.uuid4()
    key = storage.key_for(tenant_id, uuid.uuid4())
    content = os.urandom(5 * storage.CHUNK + 123)
    with app.app_context():
        store = service.store()
        assert isinstance(store, storage.S3Store)
        assert not store.exists(tenant_id, key)
        store.put(tenant_id, key, content)
        assert store.exists(tenant_id, key)
        chunks = list(store.stream(tenant_id, key))
        assert b"".join(chunks) == content and len(chunks) >= 6
        assert max(len(c) for c in chunks) <= storage.CHUNK
        store.delete(tenant_id, key)
        assert not store.exists(tenant_id, key)
        with pytest.raises(FileNotFoundError):
            store.get(tenant_id, key)
        with pytest.raises(FileNotFoundError):
            store.stream(tenant_id, key)
        store.delete(tenant_id, key)  # deleting what is gone is no error, as on disk


def test_a_store_that_cannot_be_used_refuses_the_upload_clearly(app, client, world, s3, seeded):  # noqa: F811
    """A missing bucket (or a server that does not answer): 503 in the user's language,
    no row written."""
    tenant, item = world.id("A"), item_of(app, world)
    login(client, "admin_a")
    url = f"/t/{tenant}/ledger/{item}/evidence"
    app.config["ZHIBU_EVIDENCE_S3_BUCKET"] = "zhibu-no-such-bucket"
    refused = post_files(client, url, [("宣传栏.jpg", jpeg())])
    assert "存储服务暂时无法使用" in said(client, refused)
    app.config["ZHIBU_EVIDENCE_S3_BUCKET"] = s3["bucket"]
    app.config["ZHIBU_EVIDENCE_S3_ENDPOINT_URL"] = "http://127.0.0.1:9"  # nothing listens
    refused = post_files(client, url, [("宣传栏.jpg", jpeg())])
    assert "存储服务暂时无法使用" in said(client, refused)
    with client.session_transaction() as session:  # the same, in English for English users
        session["lang"] = "en"
    refused = post_files(client, url, [("宣传栏.jpg", jpeg())])
    assert "The store of evidence files cannot be used right now" in said(client, refused)
    with app.app_context(), use_scope(system_scope()):
        assert db.session.scalars(select(EvidenceFile)).all() == []
    assert keys_of(s3, tenant) == []


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"ZHIBU_EVIDENCE_STORE": "ftp"}, "应为 local(本机磁盘)或 s3"),
        ({"ZHIBU_EVIDENCE_STORE": "s3"}, "须设置 ZHIBU_EVIDENCE_S3_BUCKET"),
        (
            {"ZHIBU_EVIDENCE_STORE": "s3", "ZHIBU_EVIDENCE_S3_BUCKET": "Evidence_Files"},
            "“Evidence_Files”不是有效的存储桶名称",
        ),
        (
            {
                "ZHIBU_EVIDENCE_STORE": "s3",
                "ZHIBU_EVIDENCE_S3_BUCKET": "evidence",
                "ZHIBU_EVIDENCE_S3_ENDPOINT_URL": "127.0.0.1:7480",
            },
            "ZHIBU_EVIDENCE_S3_ENDPOINT_URL 的值“127.0.0.1:7480”不是有效的地址",
        ),
        (
            {
                "ZHIBU_EVIDENCE_STORE": "s3",
                "ZHIBU_EVIDENCE_S3_BUCKET": "evidence",
                "ZHIBU_EVIDENCE_S3_ACCESS_KEY": "key",
            },
            "还须设置 ZHIBU_EVIDENCE_S3_SECRET_KEY",
        ),
        (
            {
                "ZHIBU_EVIDENCE_STORE": "s3",
                "ZHIBU_EVIDENCE_S3_BUCKET": "evidence",
                "ZHIBU_EVIDENCE_S3_ADDRESSING": "dns",
            },
            "应为 path、virtual 或 auto",
        ),
    ],
)
def test_a_wrong_store_setting_stops_the_start_naming_it(tmp_path, settings, named):
    with pytest.raises(ConfigError) as refused:
        build_config(tmp_path, {"SECRET_KEY": "x"}, settings)
    assert named in str(refused.value)


def test_the_local_store_stays_the_default(tmp_path):
    config = build_config(tmp_path, {"SECRET_KEY": "x"}, {})
    assert config["ZHIBU_EVIDENCE_STORE"] == "local"
