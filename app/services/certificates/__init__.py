"""Certificate (保適証) use cases, one module per concern:

- ``common``: the input error, settings and outside clients, time helpers, status groups.
- ``labels``: the Japanese words for statuses and the wizard's choices.
- ``events``: the certificate's timeline entries.
- ``drafts``: the wizard's draft and steps (scan, vehicle, inspection, insurance, checks).
- ``confirmation``: pre-flight, the AIRAS/AINAS payloads, ``confirm`` (a correction included).
- ``sender``: the lease, ``process_certificate``, ``send_due``, ``send_now``, backoff, errors.
- ``followup``: applying AIRAS/AINAS answers, the billable 連携済 moment, resend.
- ``corrections``: 削除 and 引戻し at AIRAS, and the correction draft.
- ``used_vehicles``: 中古新規 / 中古予備検査 (the kind chosen at the start, its document, new 使用者).
- ``delegation``: 記録事務代行 (電子車検証更新区分, the site's 委託番号, the blockers before sending).
- ``consents``: 承諾書 (signed on the tablet or scanned, bulk lists), the wizard's lookup, retention.
- ``signoff``: two-step sign-off (the manager's approval before sending, send back, 代務者).

Import the module you need; nothing is re-exported here.
"""
