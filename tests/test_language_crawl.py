"""One language at a time: every page each role of each demo tenant reaches, crawled by
following its links in Chinese and in English, shows only that language (data apart), no
raw keys, and no JSON error body; an address that does not exist answers a page."""

import pytest
from authz_scene import login
from language_crawl import (
    REPORT,
    chinese_problems,
    crawl,
    data_strings,
    english_problems,
    scheme_strings,
)

from zhibu.db import db
from zhibu.demo import load_demo
from zhibu.tenancy import system_scope, use_scope


@pytest.fixture
def demo(app):
    with app.app_context(), use_scope(system_scope(username="zhibu demo")):
        made = load_demo()
        logins = [(x.role, x.tenant, x.username, x.password) for x in made.logins]
        chinese_data = data_strings(keys=False)
        english_data = data_strings(keys=True) + "\n" + scheme_strings()
        db.session.remove()
    return logins, chinese_data, english_data


def _each_role(app, logins, language):
    for role, tenant, username, password in logins:
        client = app.test_client()
        client.get(f"/lang/{language}")
        answer = login(client, username, password)
        assert answer.status_code == 302, (role, tenant)
        yield (role, tenant), crawl(app, client, answer.headers["Location"])


# what a page says does not depend on the database: crawled once, on PostgreSQL
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_of_every_role_speaks_one_language(app, demo, language):
    logins, chinese_data, english_data = demo
    problems, pages = [], 0
    for who, done in _each_role(app, logins, language):
        pages += len(done.pages)
        for page in done.pages:
            if page.content_type.startswith("application/json"):
                problems.append(f"{who} {page.url}: JSON answer {page.status}")
            if language == "zh":
                found = chinese_problems(page, chinese_data)
            elif REPORT.match(page.url):
                found = []  # a printed report is a Chinese document in either language
            else:
                found = english_problems(page, english_data)
            problems += [f"{who} {p}" for p in found]
            if page.status >= 500:
                problems.append(f"{who} {page.url}: {page.status}")
    assert pages > 100  # the crawl reached the pages, not only the landing ones
    assert not problems, "\n".join(sorted(problems)[:400])


@pytest.mark.parametrize(
    ("language", "words"), [("zh", "没有找到该页面"), ("en", "Page not found")]
)
def test_an_address_that_does_not_exist_answers_a_page_in_the_users_language(app, language, words):
    client = app.test_client()
    client.get(f"/lang/{language}")
    for path in ("/no-such-page", "/t/not-a-tenant/nothing", "/static/no-such.css"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 404 and answer.content_type.startswith("text/html"), path
        page = answer.get_data(as_text=True)
        assert words in page and 'href="/"' in page, path  # and a way back
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.is_json  # the API keeps its JSON


def test_a_method_a_page_does_not_take_answers_a_page_with_its_allow_header(app):
    client = app.test_client()
    answer = client.delete("/login", headers={"Accept": "text/html"})
    assert answer.status_code == 405 and answer.content_type.startswith("text/html")
    assert "GET" in answer.headers["Allow"] and "该页面不接受这种请求方式" in answer.text


def test_an_unexpected_failure_answers_a_page_and_the_api_json(app):
    @app.get("/boom-for-a-test")
    def boom():
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    answer = client.get("/boom-for-a-test", headers={"Accept": "text/html"})
    assert answer.status_code == 500 and "服务器出错" in answer.text
    assert "a bug" not in answer.text and "Traceback" not in answer.text
