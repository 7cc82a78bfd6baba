"""The 快递100 simulator wired to this test's app: the adapter reaches the simulator through its test
client, and the simulator pushes into the app's hook through the app's test client."""

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from flask import current_app

from app.domain.logistics.adapters.kuaidi100 import Kuaidi100Adapter
from app.simulators.kuaidi100 import Faults, Kuaidi100Simulator

HOOK = "/hooks/logistics/kuaidi100"


class ViaTestClient:
    """Enough of ``requests.Session`` for the adapter: POST a form to a Flask test client."""

    def __init__(self, client):
        self.client = client

    def post(self, url: str, data: dict, timeout):
        response = self.client.post(urlsplit(url).path, data=data)
        return SimpleNamespace(status_code=response.status_code, json=response.get_json)


@pytest.fixture
def simulator(app, client, monkeypatch):
    """A quiet simulator (no faults unless a test sets them) that pushes into this app."""
    sim = Kuaidi100Simulator(seed=7, faults=Faults(0, 0, 0, 0),
                             deliver=lambda url, fields: client.post(urlsplit(url).path, data=fields).get_json())
    sim_client = sim.create_app().test_client()

    def build(config):
        return Kuaidi100Adapter(config["KUAIDI100_API_URL"], config["KUAIDI100_KEY"], config["KUAIDI100_CUSTOMER"],
                                config["KUAIDI100_SALT"], session=ViaTestClient(sim_client))

    monkeypatch.setattr("workers.logistics.build_tracker", build)
    monkeypatch.setattr("app.web.hooks.logistics.build_tracker", build)
    sim.key, sim.customer = app.config["KUAIDI100_KEY"], app.config["KUAIDI100_CUSTOMER"]
    return sim


def config() -> dict:
    return current_app.config
