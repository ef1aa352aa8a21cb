"""What every certificate module shares: the input error, settings and outside clients, time
helpers, and the groups of certificate statuses the sender and the commands act on."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from app.integrations import AinasClient, AirasClient, WeightTaxInquiryClient
from app.timeutil import JST


# What the sender still has to do for a certificate in each status.
SENDING_STATUSES = ("queued", "sent")
FOLLOWED_STATUSES = ("linked", "reported")
LINKED_STATUSES = ("linked", "reported", "completed")
ACTIVE_STATUSES = SENDING_STATUSES + FOLLOWED_STATUSES
OSS_FINAL = ("completed", "rejected", "withdrawn", "failed")


class CertificateInputError(ValueError):
    """Input the wizard cannot accept; ``messages`` are Japanese sentences saying what to do."""

    def __init__(self, messages):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


def setting(key, default):
    """An operator setting of the sender (``CERTIFICATE_*``), or its default."""
    return current_app.config.get(key, default)


@dataclass
class OutsideClients:
    airas: AirasClient
    ainas: AinasClient
    weight_tax: WeightTaxInquiryClient


def kei_base_url(mlit_base_url):
    """The kei inquiry sits next to MLIT's in the sandbox ({base}/mlit, {base}/kei)."""
    base = mlit_base_url.rstrip("/")
    return base[: -len("/mlit")] + "/kei" if base.endswith("/mlit") else base


def clients_from_config(config=None):
    """New clients (each with its own HTTP session: give every thread its own)."""
    config = config or current_app.config
    timeout = config["OUTSIDE_TIMEOUT_SECONDS"]
    mlit = config["MLIT_BASE_URL"]
    return OutsideClients(
        airas=AirasClient(config["AIRAS_BASE_URL"], timeout=timeout),
        ainas=AinasClient(config["AINAS_BASE_URL"], timeout=timeout),
        weight_tax=WeightTaxInquiryClient(mlit, config.get("MLIT_KEI_BASE_URL", kei_base_url(mlit)),
                                          timeout=timeout),
    )


def utc_naive(moment: dt.datetime) -> dt.datetime:
    """An aware moment as the database stores it (UTC, naive)."""
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def as_jst(stored: dt.datetime | None) -> dt.datetime | None:
    """A stored (UTC, naive) moment in Japan time, for people to read."""
    return stored.replace(tzinfo=dt.timezone.utc).astimezone(JST) if stored else None


def stored_date(text):
    """A date kept as ISO text in a draft or a certificate's details (None when empty)."""
    return dt.date.fromisoformat(text) if text else None
