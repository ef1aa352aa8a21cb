"""The e-JIBAI check and 放置違反金 query clients against the real sandbox server, faults included."""
import datetime as dt

import pytest
import requests

from app.integrations import OutsideClosedError, OutsideRejectedError, OutsideServerError, OutsideTimeoutError
from app.integrations.jibai import JibaiClient
from app.integrations.parking_fines import ParkingFineClient
from app.integrations.sandbox.server import start_sandbox_in_thread
from app.timeutil import JST

PLATE = {"area": "品川", "class": "330", "kana": "さ", "serial": "123"}


@pytest.fixture
def server():
    _base, running = start_sandbox_in_thread(port=0)
    yield running
    running.stop()


def _control(server, path, body):
    response = requests.post(f"{server.base_url}/_control/{path}", json=body, timeout=5)
    assert response.status_code == 200, response.text


def test_jibai_lookup_answers_electronic_data_or_not(server):
    client = JibaiClient(server.url("jibai"))
    issued = dt.datetime(2026, 11, 26, 9, 30, tzinfo=JST)
    _control(server, "jibai", {"certificate_number": "E1234567", "insurer_name": "損保ジャパン",
                               "chassis_number": "ABC10-1234567", "issued_at": issued.isoformat()})
    found = client.lookup("E1234567", "損保ジャパン")
    assert found["electronic"] is True and found["chassis_number"] == "ABC10-1234567"
    assert found["issued_at"] == issued
    assert client.lookup("E1234567", "東京海上日動")["electronic"] is False  # another insurer: 手入力
    assert client.lookup("P00009999", "東京海上日動")["electronic"] is False  # no electronic data
    unknown = client.lookup("A7654321", "東京海上日動")
    assert unknown["electronic"] is True and unknown["issued_at"] is None


def test_parking_fine_query_answers_possibility(server):
    client = ParkingFineClient(server.url("parking"))
    assert client.query(PLATE, "ABC10-1234567")["possibility"] == "無"
    answer = client.query(PLATE, "ABC10-9000110")
    assert answer["possibility"] == "有" and answer["query_id"].startswith("HQ")
    assert answer["answered_at"].tzinfo is not None
    _control(server, "parking", {"chassis_number": "ABC10-1234567", "possibility": "有"})
    assert client.query(PLATE, "ABC10-1234567")["possibility"] == "有"


def test_faults_become_outside_errors_with_japanese_messages(server):
    jibai, parking = JibaiClient(server.url("jibai")), ParkingFineClient(server.url("parking"))
    _control(server, "faults", {"error_rate": 1.0, "fault_systems": ["jibai", "parking"]})
    with pytest.raises(OutsideServerError) as error:
        jibai.lookup("A7654321", "東京海上日動")
    assert "自賠責の電子情報の照会で一時的な障害が起きています" in error.value.message
    with pytest.raises(OutsideServerError) as error:
        parking.query(PLATE, "ABC10-1234567")
    assert "放置違反金の照会で一時的な障害" in error.value.message
    _control(server, "faults", {"error_rate": 0.0, "timeout_rate": 1.0, "timeout_seconds": 1.0})
    with pytest.raises(OutsideTimeoutError):
        JibaiClient(server.url("jibai"), timeout=0.3).lookup("A7654321", "東京海上日動")
    _control(server, "faults", {"timeout_rate": 0.0, "maintenance": {"parking": 600}})
    with pytest.raises(OutsideClosedError) as error:
        parking.query(PLATE, "ABC10-1234567")
    assert "メンテナンス中" in error.value.message and error.value.opens_at is not None


def test_a_refused_query_is_a_rejection_with_the_services_words(server):
    client = ParkingFineClient(server.url("parking"))
    with pytest.raises(OutsideRejectedError) as error:
        client.query({"area": "", "kana": "", "serial": ""}, "X")
    assert error.value.code == "VALIDATION" and "登録番号(地名・かな・一連番号)を指定してください。" in error.value.message
    assert not error.value.retryable
