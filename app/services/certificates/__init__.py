"""Certificate (保適証) use cases, one module per concern:

- ``common``: the input error, settings and outside clients, time helpers, status groups.
- ``labels``: the Japanese words for statuses and the wizard's choices.
- ``events``: the certificate's timeline entries.
- ``drafts``: the wizard's draft and steps (scan, vehicle, inspection, insurance, checks).
- ``confirmation``: pre-flight, the AIRAS/AINAS payloads, ``confirm`` (a correction included).
- ``sender``: the lease, ``process_certificate``, ``send_due``, ``send_now``, backoff, errors.
- ``followup``: applying AIRAS/AINAS answers, the billable 連携済 moment, resend.
- ``corrections``: 削除 and 引戻し at AIRAS, and the correction draft.
- ``consents``: 承諾書 (signed on the tablet or scanned, bulk lists), the wizard's lookup, retention.
- ``signoff``: two-step sign-off (the manager's approval before sending, send back, 代務者).

Import the module you need; nothing is re-exported here.
"""
