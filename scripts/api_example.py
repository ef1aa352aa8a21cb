"""A shop system's side of the token API: one car from its 車検証 scans to 送信, through the API alone.

    python scripts/api_example.py --base-url http://localhost:5000 --token kz_... --site 1 car.json

``car.json`` holds what the shop system knows of the car and today's inspection (see
docs/integrations.md, "For shop-system developers"): ``scans`` (what the reader typed, one read
per item), the wizard's form fields in ``vehicle``, ``inspection`` and ``insurance``, and
``inspection_fee_yen``/``weight_tax_yen`` for when Keizoku has no amount of its own. The
inspector is picked by ``inspector_code`` when given, else the site's first one. Prints each step
and, last, the certificate's ``status: …`` and ``issue_number: …``; exits 1 with the API's
Japanese message when a step is refused.
"""
from __future__ import annotations

import argparse
import json
import sys

import requests


class StepRefused(Exception):
    def __init__(self, step, response):
        error = response.json().get("error", {}) if response.headers.get("Content-Type", "").startswith(
            "application/json") else {}
        self.status, self.code, self.message = response.status_code, error.get("code"), error.get("message")
        super().__init__(f"{step}: HTTP {self.status} {self.code}: {self.message}")


def take_car_to_sending(base_url, token, site_id, car, http=None, echo=print):
    """Scans -> vehicle -> inspection -> 自賠責 -> checks -> confirm; returns the certificate (JSON)."""
    http = http or requests.Session()
    api = base_url.rstrip("/") + "/api/v1"
    headers = {"Authorization": f"Bearer {token}"}

    def call(step, method, path, payload=None, expect=200):
        response = http.request(method, api + path, json=payload, headers=headers, timeout=30)
        if response.status_code != expect:
            raise StepRefused(step, response)
        return response.json()

    draft = call("scan", "POST", "/certificate-drafts",
                 {"site_id": site_id, "scans": car["scans"], **({"cert_file": car["cert_file"]}
                                                                if car.get("cert_file") else {})}, 201)
    draft_id = draft["id"]
    echo(f"draft {draft_id}: {draft['vehicle'].get('chassis_number')} ({len(draft['warnings'])} warnings)")
    call("vehicle", "POST", f"/certificate-drafts/{draft_id}/vehicle", {
        "vehicle_kind": draft["vehicle"]["vehicle_kind"],
        **{k: draft["vehicle"].get(k) or "" for k in ("chassis_number", "plate_area", "plate_class", "plate_kana",
                                                      "plate_serial", "model", "first_registration")},
        **({"expiry_date": draft["vehicle"]["expiry_date"]} if draft["vehicle"].get("expiry_date") else {}),
        **car["vehicle"]})
    inspectors = call("draft", "GET", f"/certificate-drafts/{draft_id}")["inspectors"]
    wanted = car["inspection"].get("inspector_code")
    inspector = next((i for i in inspectors if i["inspector_code"] == wanted), inspectors[0])
    inspection = {k: v for k, v in car["inspection"].items() if k != "inspector_code"}
    call("inspection", "POST", f"/certificate-drafts/{draft_id}/inspection",
         {**inspection, "inspector_id": inspector["id"]})
    call("insurance", "POST", f"/certificate-drafts/{draft_id}/insurance", car["insurance"])
    checks = call("checks", "GET", f"/certificate-drafts/{draft_id}/checks")
    tax, fee = checks["weight_tax"], checks["inspection_fee"]
    echo(f"new expiry {checks['assessment']['new_expiry_date']}, weight tax {tax['recommended_yen']} yen, "
         f"fee {fee['amount_yen']} yen")
    # Where Keizoku knows no amount (a fee not yet enacted, say), the shop system's own is sent.
    call("checks", "POST", f"/certificate-drafts/{draft_id}/checks", {
        "weight_tax_yen": tax["recommended_yen"] if tax["recommended_yen"] is not None else car.get("weight_tax_yen"),
        "inspection_fee_yen": fee["amount_yen"] if fee["amount_yen"] is not None else car.get("inspection_fee_yen"),
        # A person must look at a difference; a script may only say so when the car's record does.
        "weight_tax_difference_checked": bool(car.get("weight_tax_difference_checked"))})
    items = call("preflight", "GET", f"/certificate-drafts/{draft_id}/confirm")["items"]
    certificate = call("confirm", "POST", f"/certificate-drafts/{draft_id}/confirm",
                       {"confirmed": [item["key"] for item in items]}, 201)
    echo(f"certificate {certificate['id']}: {certificate['status_label']}")
    return certificate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--site", type=int, required=True)
    parser.add_argument("car", help="JSON file: scans, vehicle, inspection, insurance")
    args = parser.parse_args(argv)
    with open(args.car, encoding="utf-8") as handle:
        car = json.load(handle)
    try:
        certificate = take_car_to_sending(args.base_url, args.token, args.site, car)
    except StepRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"status: {certificate['status']}")
    print(f"issue_number: {certificate['issue_number'] or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
