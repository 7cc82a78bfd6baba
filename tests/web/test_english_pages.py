"""Every staff, finance and portal page in English shows no Chinese outside data: the URL map is walked
with the demo merchant seeded, for every role, and whatever Chinese is left once the demo's own data
values (shop, SKU, warehouse and people's names, addresses, remarks…) are taken out is a label someone
forgot to translate."""

import re

import pytest
from sqlalchemy import String, Text, select

from app.auth.roles import Role
from app.extensions import db

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)
AREAS = ("/staff", "/finance", "/portal")
#: Not labels: the language switch names each language in itself.
ALLOWED = {"中文"}


@pytest.fixture
def demo(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return data_values()


def data_values() -> list[str]:
    """Every string stored in the demo's tables, longest first (so a name inside an address goes last)."""
    values = set()
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, String | Text)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            values.update(value for value in row if isinstance(value, str) and CJK.search(value))
    return sorted(values, key=len, reverse=True)


def pages(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments and rule.rule.startswith(AREAS))


def untranslated(html: str, data: list[str]) -> set[str]:
    text = TAGS.sub("\n", html)
    for value in data:
        text = text.replace(value, " ")
    return {found for found in CJK.findall(text) if found not in ALLOWED and re.search(r"[\u4e00-\u9fff]", found)}


@pytest.mark.parametrize("role", list(Role))
def test_every_page_reads_in_english(app, client, demo, role):
    response = client.post("/login", data={"username": DEMO_USERS[role], "password": "orderhub-demo"})
    assert response.status_code == 302
    client.post("/language/en", data={"next": "/staff/"})
    found = {}
    for path in pages(app):
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        left = untranslated(response.text, demo)
        if left:
            found[path] = sorted(left)
    assert not found, "\n".join(f"{path}: {words}" for path, words in found.items())


DEMO_USERS = {Role.ADMIN: "admin", Role.CUSTOMER_SERVICE: "kefu", Role.WAREHOUSE: "cangku",
              Role.OPERATIONS: "yunying", Role.FINANCE: "caiwu", Role.FINANCE_SUPERVISOR: "caiwuzhuguan"}
