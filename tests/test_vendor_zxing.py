"""The camera's vendored decoder (app/static/vendor/zxing-wasm/) is the pinned release, whole:
the README's hashes match the files, the script embeds the hash of the .wasm beside it, and
the licences are there."""
import hashlib
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENDOR = os.path.join(ROOT, "app", "static", "vendor", "zxing-wasm")


def _sha256(name):
    with open(os.path.join(VENDOR, name), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_vendored_files_match_the_readme_and_each_other():
    readme = open(os.path.join(VENDOR, "README.md"), encoding="utf-8").read()
    script = open(os.path.join(VENDOR, "zxing_reader.iife.js"), encoding="utf-8").read()
    for name in ("zxing_reader.iife.js", "zxing_reader.wasm"):
        assert f"`{name}` (sha256 `{_sha256(name)}`)" in readme, name
    assert re.search(r"ZXING_WASM_SHA256=`([0-9a-f]{64})`", script).group(1) == _sha256("zxing_reader.wasm")
    version = re.search(r"\*\*(\d+\.\d+\.\d+)\*\*", readme).group(1)
    assert f"`{version}`" in script  # ZXING_WASM_VERSION
    refresh = open(os.path.join(ROOT, "scripts", "vendor_zxing_wasm.sh"), encoding="utf-8").read()
    assert re.search(r"^VERSION=(\S+)$", refresh, re.M).group(1) == version
    assert "MIT License" in open(os.path.join(VENDOR, "LICENSE"), encoding="utf-8").read()
    assert "Apache License" in open(os.path.join(VENDOR, "LICENSE.zxing-cpp"), encoding="utf-8").read()
