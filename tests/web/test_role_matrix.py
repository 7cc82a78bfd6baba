"""Every staff URL needs a login and a role that may open its area; the menu shows exactly those areas."""

import re
from urllib.parse import urlsplit

import pytest
from flask import url_for

from app.auth.roles import AREA_ROLES, CREATE_ORDER, REQUEST_INVOICE, Area, Role, may_act
from app.domain.workbench.edits import MERGE_ORDERS
from app.extensions import db
from app.web.navigation import NAVIGATION
from tests import factories

MISSING_ID = 987654  # no row has it: the guard must answer before the view looks anything up

# Views that, inside their area, also need an order right (app.auth.roles.may_act). Nothing on the view
# says so, hence this list; a view attribute like ``required_area`` would let the matrix read it instead.
#: Views that need an order right (order_right_required) say which on the view; these must keep saying it.
ACTION_RIGHTS = {"staff.create_order": CREATE_ORDER, "staff.new_order_line": CREATE_ORDER,
                 "staff.product_picker": CREATE_ORDER, "staff.waybill_pool": "ship_out",
                 "staff.request_order_invoice": REQUEST_INVOICE, "staff.scan_to_ship": "ship_out",
                 "staff.recognise_address": CREATE_ORDER, "staff.place_options": CREATE_ORDER,
                 "staff.merge_orders": MERGE_ORDERS, "staff.unmerge_orders": MERGE_ORDERS}


def staff_rules(app) -> list:
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/staff")]
    endpoints = {rule.endpoint for rule in rules}
    # Guard against the enumeration itself going quietly empty.
    assert {"staff.home", "staff.list_skus", "staff.edit_bundle", "staff.retry_job", "staff.list_users"} <= endpoints
    return sorted(rules, key=lambda rule: (rule.rule, rule.endpoint))


@pytest.fixture
def rows(app) -> dict[str, int]:
    """One real row of each kind, so that <int:row_id> URLs reach the view rather than a 404."""
    with app.app_context():
        component = factories.SkuFactory()
        bundle = factories.SkuFactory()
        factories.BundleComponentFactory(bundle=bundle, component=component, quantity=2)
        made = {
            "sku": component,
            "bundle": bundle,
            "warehouse": factories.WarehouseFactory(),
            "channel": factories.ChannelFactory(),
            "carrier": factories.CarrierFactory(),
        }
        db.session.commit()
        return {name: row.id for name, row in made.items()}


def url_for_rule(rule, rows: dict[str, int]) -> str:
    """The rule's URL: real rows where we have one of that kind, a missing id or a made-up key otherwise."""
    values = {}
    for converter, name in re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        kind = rule.endpoint.rsplit("_", 1)[-1] if name == "row_id" else name.removesuffix("_id")
        values[name] = rows.get(kind, MISSING_ID if converter == "int" else f"no-such-{name}")
    return rule.build(values)[1]


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def required_area(app, rule) -> Area:
    view = app.view_functions[rule.endpoint]
    assert isinstance(getattr(view, "required_area", None), Area), f"{rule.endpoint} has no role_required"
    return view.required_area


def may_use(app, role: Role, rule) -> bool:
    action = getattr(app.view_functions[rule.endpoint], "required_action", None)
    assert action == ACTION_RIGHTS.get(rule.endpoint), rule.endpoint
    return role in AREA_ROLES[required_area(app, rule)] and (action is None or may_act(role, action))


def request(client, method: str, url: str):
    return client.open(url, method=method)


def test_every_staff_view_is_guarded_by_role_required(app):
    for rule in staff_rules(app):
        required_area(app, rule)


def test_anonymous_visitors_are_sent_to_login_from_every_staff_url(app, client, rows):
    wrong = []
    for rule in staff_rules(app):
        url = url_for_rule(rule, rows)
        for method in methods_of(rule):
            response = request(client, method, url)
            if response.status_code != 302 or urlsplit(response.location).path != "/login":
                wrong.append(f"{method} {url}: {response.status_code} {response.location}")
    assert wrong == []


@pytest.mark.parametrize("role", list(Role))
def test_each_role_gets_403_outside_its_areas_and_in_within_them(app, client, login_as, rows, role):
    login_as(role)
    wrong = []
    checked = 0
    for rule in staff_rules(app):
        url = url_for_rule(rule, rows)
        allowed = may_use(app, role, rule)
        for method in methods_of(rule):
            if allowed and method != "GET":
                continue  # only look, never change data, where the role is allowed in
            response = request(client, method, url)
            checked += 1
            if not allowed and response.status_code != 403:
                wrong.append(f"{method} {url}: {response.status_code}, expected 403")
            if allowed and response.status_code == 403:
                wrong.append(f"{method} {url}: 403 for a role allowed in")
    assert checked
    assert wrong == []


def test_every_menu_entry_is_guarded_by_the_area_it_is_listed_under(app):
    for item in NAVIGATION:
        assert app.view_functions[item.endpoint].required_area == item.area, item.endpoint


def test_area_table_covers_every_area_lets_everyone_home_and_only_admins_into_users():
    assert set(AREA_ROLES) == set(Area)
    assert AREA_ROLES[Area.HOME] == frozenset(Role)
    assert AREA_ROLES[Area.USERS] == frozenset({Role.ADMIN})


def menu_links(html: str) -> set[str]:
    nav = re.search(r'<nav class="mainnav">(.*?)</nav>', html, re.S)
    assert nav, "no main navigation on the page"
    return set(re.findall(r'href="([^"]+)"', nav.group(1)))


@pytest.mark.parametrize("role", list(Role))
def test_menu_shows_exactly_the_areas_the_role_may_open(app, client, login_as, role):
    login_as(role)
    with app.test_request_context():
        expected = {url_for(item.endpoint) for item in NAVIGATION if role in AREA_ROLES[item.area]}

    links = menu_links(client.get("/staff/").text)

    assert links == expected
    for link in links:
        assert client.get(link).status_code == 200, link


def test_operations_menu_has_catalog_settings_and_jobs_but_not_users(client, login_as):
    login_as("operations")

    links = menu_links(client.get("/staff/").text)

    assert {"/staff/skus", "/staff/bundles", "/staff/warehouses", "/staff/jobs"} <= links
    assert "/staff/users" not in links

