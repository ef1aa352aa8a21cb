"""Per-feature rows for the two test tenants.

Each module here defines ``seed(session, key, ctx) -> dict`` where ``ctx`` has
``business_id``, ``site_id`` (the first site), ``site_ids`` and ``user_ids`` (role -> id).
It adds rows of its feature's models for that business and returns ``{ModelName: id}``;
the isolation test then calls every id-taking URL with business B's ids of each model.
"""
