"""Clients for the outside systems (AIRAS, AINAS, the weight-tax inquiries) and their sandbox.

The wire format lives only here; see docs/integrations.md.
"""

from app.integrations.ainas import AINAS_STATUS_CODES, AinasClient
from app.integrations.airas import AIRAS_STATUS_CODES, LINKED_STATUS_CODES, AirasClient
from app.integrations.base import (
    CompulsoryInsuranceNotYetError,
    OutsideClosedError,
    OutsideConnectionError,
    OutsideNotFoundError,
    OutsideNotReadyError,
    OutsideProtocolError,
    OutsideRejectedError,
    OutsideServerError,
    OutsideSystemError,
    OutsideTimeoutError,
    fit_for_shop,
    shop_reason,
)
from app.integrations.weight_tax_inquiry import WeightTaxInquiryClient

__all__ = [
    "AINAS_STATUS_CODES",
    "AIRAS_STATUS_CODES",
    "LINKED_STATUS_CODES",
    "AinasClient",
    "AirasClient",
    "CompulsoryInsuranceNotYetError",
    "OutsideClosedError",
    "OutsideConnectionError",
    "OutsideNotFoundError",
    "OutsideNotReadyError",
    "OutsideProtocolError",
    "OutsideRejectedError",
    "OutsideServerError",
    "OutsideSystemError",
    "OutsideTimeoutError",
    "WeightTaxInquiryClient",
    "fit_for_shop",
    "shop_reason",
]
