"""In Chromium at 1024×768: the wizard's scan page reads the 車検証 with the tablet's camera.

The camera is Chromium's fake device playing a Y4M video made here from the test vectors'
codes (tests/browser/fake_camera.py), one QR symbol every few frames, looped. The symbols are
what a card prints: structured append with the group's parity, the plate in kanji mode, other
text in Shift_JIS byte mode, one symbol with an ECI."""
import json
import re

import pytest

from tests.browser.conftest import launch_chromium, login, new_page, screenshot
from tests.browser.fake_camera import group_of_scans, parity, sjis, structured_append, write_y4m
from tests.browser.test_wizard_browser import (  # noqa: F401 (site: a fixture)
    VECTORS, _start_wizard, _wedge, go_on_to_vehicle, site)
from tests.conftest import PASSWORD

VECTORS = dict(VECTORS, **{v["name"]: v for v in json.load(
    open("tests/data/vehicle_qr_extra_vectors.json", encoding="utf-8"))})

# Every state of the camera's progress (label and note) is kept for the test to read.
WATCH = """() => {
  window.__states = [];
  const side = document.querySelector('.qr-camera-side');
  const keep = () => window.__states.push({
    label: side.querySelector('[data-qr-camera-progress]').textContent,
    note: side.querySelector('[data-qr-camera-note]').textContent});
  new MutationObserver(keep).observe(side, {subtree: true, childList: true, characterData: true});
  document.getElementById('f-reads').addEventListener('qrparsed', e => { window.__parsed = e.detail; });
}"""


@pytest.fixture
def camera_chromium(playwright_driver, fontconfig, tmp_path):
    """launch(symbols, allowed=True): a Chromium whose only camera shows ``symbols`` in turn;
    ``allowed=False`` leaves the camera permission to the page (Playwright refuses it)."""
    browsers = []

    def launch(symbols, allowed=True):
        video = write_y4m(str(tmp_path / f"camera-{len(browsers)}.y4m"), symbols)
        args = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
        if allowed:
            args.append("--use-fake-ui-for-media-stream")
        browsers.append(launch_chromium(playwright_driver, fontconfig, args))
        return browsers[-1]

    yield launch
    for browser in browsers:
        browser.close()


def _open_camera(page, site):
    login(page, "a-clerk", PASSWORD)
    _start_wizard(page, site)
    page.evaluate(WATCH)
    page.get_by_role("button", name="カメラで読み取る").click()


def _parsed(page):
    page.wait_for_function("() => window.__parsed !== undefined")
    return page.evaluate("window.__parsed")


def _assert_fell_back(page, message):
    """The camera's message in Japanese, no camera panel, and the reader field has the focus."""
    shown = page.locator("[data-qr-camera-message]")
    shown.wait_for()
    assert message in shown.inner_text()
    assert not page.is_visible("[data-qr-camera-panel]")
    assert page.evaluate("document.activeElement.id") == "f-reads"


def _assert_read_as_joined(page, qr3_scans, qr2_scans, chassis, plate):
    """The parser got each group joined by sequence number, whatever the order the camera saw
    the symbols in (the text a joining reader types), and read the vehicle from it."""
    parsed = _parsed(page)
    assert "error" not in parsed, parsed
    assert sorted(parsed["reads"]) == sorted(["".join(qr3_scans), "".join(qr2_scans)])
    assert parsed["fields"]["chassis_number"] == chassis
    assert parsed["fields"]["plate_raw"] == plate
    _assert_progress_consistent(page.evaluate("window.__states"))


def _assert_progress_consistent(states):
    """Counts only grow, and the note names exactly the codes the count says are missing."""
    counts = []
    for state in states:
        match = re.fullmatch(r"登録車 (\d)/5", state["label"])
        if not match:
            continue
        count = int(match.group(1))
        counts.append(count)
        missing = re.search(r"まだ読めていないコード: (\S+)", state["note"])
        assert (len(missing.group(1).split("、")) if missing else 0) == 5 - count, state
    assert counts and counts == sorted(counts) and counts[-1] == 5, counts


def test_camera_reads_a_registered_car_and_reaches_the_vehicle_page(live_server, site, camera_chromium):
    scans = VECTORS["registered_electronic_card_per_symbol"]["scans"]
    qr3 = group_of_scans(scans[0:3])
    qr3[0] = group_of_scans(scans[0:3], eci=True)[0]  # ECI 20 (Shift_JIS) in front of the text
    qr2 = group_of_scans(scans[3:5])  # the plate in kanji mode, "７/A/…" in byte mode
    page = new_page(camera_chromium([qr3[1], qr2[1], qr3[0], qr2[0], qr3[2]]), live_server)
    _open_camera(page, site)
    assert page.is_visible("video") and not page.is_visible("[data-qr-camera-open]")
    page.wait_for_function("() => /登録車 [34]\\/5/.test("
                           "document.querySelector('[data-qr-camera-progress]').textContent)")
    screenshot(page, "18-wizard-camera", full_page=False)

    _assert_read_as_joined(page, scans[0:3], scans[3:5], "JTESTVIN000000001",
                           "横浜\u3000\u3000３０Ａか\u3000\u3000\u3000７")
    assert page.inner_text("[data-qr-camera-progress]") == "登録車 5/5"
    assert page.locator("[data-qr-camera-slots] li.done").count() == 5
    assert "カメラを止めました" in page.inner_text("[data-qr-camera-note]")
    assert page.evaluate("document.querySelector('video').srcObject") is None  # camera given back
    assert "JTESTVIN000000001" in page.inner_text("#qr-result")
    assert page.is_visible("[data-qr-camera-open]") and not page.is_visible("[data-qr-camera-reset]")

    well = go_on_to_vehicle(page, "registered")
    assert "JTESTVIN000000001" in well and "横浜" in well and "6AA-XYZ20" in well
    assert list(page.js_errors) == []
    page.context.close()


def test_camera_never_joins_symbols_of_two_certificates(live_server, site, camera_chromium):
    scans = VECTORS["registered_two_certificates"]["scans"]
    shinagawa, yokohama = scans[0:5], scans[5:10]
    qr3 = group_of_scans(shinagawa[0:3])
    # QR2 cut inside 川 (byte offset 5): only the joined bytes make sense as Shift_JIS.
    qr2 = structured_append(sjis(shinagawa[3] + shinagawa[4]), [5], kanji=False)
    other = group_of_scans(yokohama[3:5])[1]  # the other certificate's QR2, 2nd symbol: another parity
    page = new_page(camera_chromium([qr2[0], other, *qr3, qr2[1]]), live_server)
    _open_camera(page, site)

    # Joined with the other certificate's symbol, QR2 would hold half a 川 and the other car's
    # chassis number.
    _assert_read_as_joined(page, shinagawa[0:3], shinagawa[3:5], "XYZ10-0012345",
                           "品川\u3000\u3000３３０さ\u3000１２３")
    assert list(page.js_errors) == []
    page.context.close()


def test_camera_refused_falls_back_to_the_reader_field(live_server, site, camera_chromium):
    scans = VECTORS["registered_electronic_card_per_symbol"]["scans"]
    page = new_page(camera_chromium(group_of_scans(scans[3:5]), allowed=False), live_server)
    _open_camera(page, site)
    _assert_fell_back(page, "カメラの使用が許可されていません")
    assert list(page.js_errors) == []
    page.context.close()


def test_no_camera_falls_back_to_the_reader_field(page, site):
    """Debian's Chromium without a fake device has no camera at all; then a browser without
    getUserMedia (http on a LAN address): both say so in Japanese and the reader still works."""
    _open_camera(page, site)
    _assert_fell_back(page, "カメラが見つかりません")
    screenshot(page, "19-wizard-no-camera", full_page=False)

    page.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined})")
    page.reload()
    page.evaluate(WATCH)
    page.get_by_role("button", name="カメラで読み取る").click()
    _assert_fell_back(page, "https で開いているか確かめてください")
    code3, _stray, code2 = VECTORS["unrelated_qr_code"]["scans"]
    _wedge(page, code3)
    _wedge(page, code2)
    assert _parsed(page)["fields"]["chassis_number"] == "XY21S-654321"


def test_collector_progress_and_joining(page, live_server):
    """The camera's bookkeeping on its own: kei codes, duplicates, a split inside a character,
    two parities never joined, and the paper certificate's unused 2-symbol group."""
    page.goto(live_server + "/login/")
    for script in ("qr_capture.js", "qr_camera.js"):
        page.add_script_tag(url=f"{live_server}/static/js/{script}")
    code3, code2 = VECTORS["kei_electronic_card_v32"]["scans"]
    registered = VECTORS["registered_two_certificates"]["scans"]
    qr2, other_qr2 = sjis(registered[3] + registered[4]), sjis(registered[8] + registered[9])
    assert parity(qr2) != parity(other_qr2)
    result = page.evaluate("""([code3, code2, qr2, otherQr2, p, otherP]) => {
      const single = list => ({bytes: new Uint8Array(list), total: -1, index: -1, parity: ''});
      const part = (list, index, parity) => ({bytes: new Uint8Array(list), total: 2, index, parity});
      const state = c => c.progress().label + '|' + c.progress().missing;
      const out = {};
      let c = KeizokuQrCamera.createCollector();
      out.code3 = c.add(single(code3));
      out.afterCode3 = state(c);
      out.again = c.add(single(code3));
      out.code2 = c.add(single(code2));
      out.kei = state(c);

      c = KeizokuQrCamera.createCollector();
      out.first = c.add(part(qr2.slice(0, 5), 0, p));  // cut inside 川
      out.foreign = c.add(part(otherQr2.slice(5), 1, otherP));
      out.afterForeign = state(c);
      c.add(part([0x41, 0x42], 0, 7));
      out.unused = c.add(part([0x43], 1, 7));
      out.afterUnused = state(c);
      out.second = c.add(part(qr2.slice(5), 1, p));
      out.done = state(c);
      return out;
    }""", [list(sjis(code3)), list(sjis(code2)), list(qr2), list(other_qr2), parity(qr2), parity(other_qr2)])
    assert result["code3"] == {"read": code3, "isNew": True}
    assert result["afterCode3"] == "軽 1/2|まだ読めていないコード: コード2"
    assert result["again"] == {"read": None, "isNew": False}  # the same code seen again
    assert result["code2"] == {"read": code2, "isNew": True}  # なにわ…り from Shift_JIS
    assert result["kei"] == "軽 2/2|"
    assert result["first"] == {"read": None, "isNew": True}
    assert result["foreign"] == {"read": None, "isNew": True}  # another parity: kept apart
    assert result["afterForeign"] == ("登録車 1/5|まだ読めていないコード: コード2の2枚目、"
                                      "コード3の1枚目、コード3の2枚目、コード3の3枚目")
    # A whole group that is no コード2 (the paper certificate's unused one) is typed like any
    # read, for the parser to set aside, and counts for nothing.
    assert result["unused"] == {"read": "ABC", "isNew": True}
    assert result["afterUnused"] == result["afterForeign"]
    assert result["second"] == {"read": registered[3] + registered[4], "isNew": True}
    assert result["done"] == ("登録車 2/5|まだ読めていないコード: コード3の1枚目、コード3の2枚目、"
                              "コード3の3枚目")
