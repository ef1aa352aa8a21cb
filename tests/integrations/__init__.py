"""Shared pieces for the outside-system tests: a real sandbox server and valid payloads.

The fixtures are imported by each test module (there is no conftest here on purpose: the
sandbox should start only for the modules that use it).
"""

from __future__ import annotations

import copy

import pytest
import requests

from app.integrations.sandbox import start_sandbox_in_thread

# No race with the machine's speed. Ordinary calls wait generously: a loaded machine may take
# seconds to answer even on localhost. A call meant to lose its answer to a timeout goes through
# ``impatient(client)``, which waits LOST_TIMEOUT's read time; the sandbox holds an injected
# timeout ten times longer, and a slower machine only makes that answer later still. (A lost
# answer with no timing at all is the ``drop`` fault: the connection closes after storing.)
TEST_TIMEOUT = (5.0, 10.0)
LOST_TIMEOUT = (5.0, 0.5)
INJECTED_TIMEOUT_SECONDS = 5.0


def impatient(client):
    """The same kind of client, on the same session, that gives up after LOST_TIMEOUT."""
    return type(client)(client.base_url, timeout=LOST_TIMEOUT, session=client.session)

_REGISTRATION_NUMBER = {"plate_area": "札幌", "plate_class": "300", "plate_kana": "あ", "plate_serial": "1234"}
_USER_OF_VEHICLE = {"name": "山田 太郎", "address": "北海道札幌市中央区北1条西1丁目"}

_CERTIFICATE = {
    "application_type": "oss",
    "site_code": "11-1234",
    "inspector_code": "00112345",
    "vehicle_kind": "registered",
    "registration_number": _REGISTRATION_NUMBER,
    "chassis_number": "ABC1-234567",
    "inspection_date": "2025-06-02",
    "issue_date": "2025-06-02",
    "odometer_km": 45678,
    "new_expiry_date": "2027-06-20",
    "compulsory_insurance": [
        {"certificate_number": "1234567890", "insurer_name": "東京海上日動火災保険",
         "start_date": "2025-06-20", "end_date": "2027-07-20", "electronic": True},
    ],
    "user_of_vehicle": _USER_OF_VEHICLE,
}

_OSS_REQUEST = {
    "site_code": "11-1234",
    "application_agent": "日整連 北海道支部",
    "vehicle_kind": "registered",
    "chassis_number": "ABC1-234567",
    "registration_number": _REGISTRATION_NUMBER,
    "user_of_vehicle": _USER_OF_VEHICLE,
    "consent_obtained": True,
    "validity_years": 2,
    "odometer_km": 45678,
    "weight_tax_yen": 16400,
    "weight_tax_basis": "standard",
    "inspection_fee_yen": 1800,
    "certificate_update_by": "requester",
}


def certificate_payload(**changes) -> dict:
    payload = copy.deepcopy(_CERTIFICATE)
    payload.update(changes)
    return payload


def oss_request_payload(**changes) -> dict:
    payload = copy.deepcopy(_OSS_REQUEST)
    payload.update(changes)
    return payload


class Control:
    """The sandbox's control API, over HTTP like everything else."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def post(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.base_url}/_control/{path}", json=body or {}, timeout=5)
        response.raise_for_status()
        return response.json()

    def get(self, path: str):
        response = requests.get(f"{self.base_url}/_control/{path}", timeout=5)
        response.raise_for_status()
        return response.json()

    def faults(self, **faults) -> dict:
        return self.post("faults", faults)

    def settings(self, **settings) -> dict:
        return self.post("settings", settings)

    def clock(self, **clock) -> dict:
        return self.post("clock", clock)

    def stats(self) -> dict:
        return self.get("stats")


@pytest.fixture(scope="module")
def sandbox_server():
    base_url, server = start_sandbox_in_thread(port=0, timeout_seconds=INJECTED_TIMEOUT_SECONDS)
    yield server
    server.stop()


@pytest.fixture
def control(sandbox_server):
    control = Control(sandbox_server.base_url)
    control.post("reset")
    return control
