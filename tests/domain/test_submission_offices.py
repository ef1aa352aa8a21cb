"""The 提出先 of a hybrid filing, from the site's prefecture (data/submission_offices.json)."""
import pytest

from app.domain.submission_offices import prefecture, submission_office


@pytest.mark.parametrize("kind, address, office", [
    ("registered", "東京都品川区東品川4-5-6", "東京運輸支局"),
    ("registered", "神奈川県横浜市中区本町1-1", "神奈川運輸支局"),
    ("registered", "和歌山県和歌山市1-1", "和歌山運輸支局"),
    ("registered", "沖縄県那覇市1-1", "沖縄総合事務局陸運事務所"),
    ("kei", "東京都品川区東品川4-5-6", "軽自動車検査協会 東京主管事務所"),
    ("kei", "鹿児島県鹿児島市1-1", "軽自動車検査協会 鹿児島事務所"),
    ("kei", "京都府京都市1-1", "軽自動車検査協会 京都事務所"),
])
def test_office_by_vehicle_kind_and_prefecture(kind, address, office):
    assert submission_office(kind, address) == office


def test_hokkaido_is_not_guessed_and_an_address_without_prefecture_prints_nothing():
    assert "事業場の所在地を管轄する" in submission_office("registered", "北海道札幌市中央区1-1")
    assert submission_office("registered", "品川区東品川4-5-6") == ""
    assert submission_office("kei", None) == ""
    assert prefecture("大阪府大阪市") == "大阪府"
