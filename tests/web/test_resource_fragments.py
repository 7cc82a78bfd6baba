"""Every reference table's HTMX endpoints, each asked with and without ``HX-Request``."""

import pytest

from app.extensions import db
from tests import factories
from tests.conftest import htmx_headers

RESOURCES = ("skus", "bundles", "warehouses", "channels", "carriers")
SINGULAR = {"skus": "sku", "bundles": "bundle", "warehouses": "warehouse", "channels": "channel",
            "carriers": "carrier"}


@pytest.fixture(autouse=True)
def operations_user(login_as):
    login_as("operations")


@pytest.fixture
def row_ids(app) -> dict[str, int]:
    with app.app_context():
        component = factories.SkuFactory(code="SN-001")
        bundle = factories.SkuFactory(code="KIT-001")
        factories.BundleComponentFactory(bundle=bundle, component=component, quantity=2)
        made = {"skus": component, "bundles": bundle, "warehouses": factories.WarehouseFactory(),
                "channels": factories.ChannelFactory(), "carriers": factories.CarrierFactory()}
        db.session.commit()
        return {plural: row.id for plural, row in made.items()}


@pytest.mark.parametrize("plural", RESOURCES)
def test_list_is_a_page_without_htmx_and_the_rows_with_it(client, row_ids, plural):
    page = client.get(f"/staff/{plural}")
    rows = client.get(f"/staff/{plural}", headers=htmx_headers())

    assert "<html" in page.text and '<tbody id="rows"' in page.text
    assert rows.text.lstrip().startswith('<tbody id="rows"') and "<html" not in rows.text
    assert f'id="{SINGULAR[plural]}-{row_ids[plural]}"' in rows.text
    assert all("HX-Request" in response.headers["Vary"] for response in (page, rows))


@pytest.mark.parametrize("plural", RESOURCES)
def test_edit_is_a_form_page_without_htmx_and_an_editable_row_with_it(client, row_ids, plural):
    url = f"/staff/{plural}/{row_ids[plural]}/edit"

    page = client.get(url)
    row = client.get(url, headers=htmx_headers())

    assert page.status_code == row.status_code == 200
    assert "<html" in page.text and '<form method="post"' in page.text
    assert row.text.lstrip().startswith(f'<tr id="{SINGULAR[plural]}-{row_ids[plural]}" class="editing"')
    assert "<html" not in row.text
    assert all("HX-Request" in response.headers["Vary"] for response in (page, row))


@pytest.mark.parametrize("plural", RESOURCES)
def test_row_is_a_redirect_without_htmx_and_the_read_only_row_with_it(client, row_ids, plural):
    url = f"/staff/{plural}/{row_ids[plural]}"

    page = client.get(url)
    row = client.get(url, headers=htmx_headers())

    assert page.status_code == 302 and f"/staff/{plural}?q=" in page.location
    assert row.status_code == 200
    assert row.text.lstrip().startswith(f'<tr id="{SINGULAR[plural]}-{row_ids[plural]}">')
    assert all("HX-Request" in response.headers["Vary"] for response in (page, row))


@pytest.mark.parametrize("plural", RESOURCES)
def test_history_restore_gets_the_whole_page(client, row_ids, plural):
    response = client.get(f"/staff/{plural}", headers=htmx_headers(**{"HX-History-Restore-Request": "true"}))

    assert "<html" in response.text
