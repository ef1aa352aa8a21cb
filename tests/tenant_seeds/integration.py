"""An API token, a webhook endpoint, an event and a delivery per test tenant, so every token and
webhook URL has a row of the other business to refuse."""
import datetime as dt

from app.models.integration import ApiToken, WebhookDelivery, WebhookEndpoint, WebhookEvent
from app.timeutil import utcnow_naive


def seed(session, key, ctx):
    business_id, site_id = ctx["business_id"], ctx["site_id"]
    moment = utcnow_naive()
    token = ApiToken(business_id=business_id, site_id=site_id, user_id=ctx["user_ids"]["manager"],
                     label=f"試験用トークン{key.upper()}", token_hash=(key * 64)[:64], token_prefix=f"kz_seed{key}",
                     expires_at=moment + dt.timedelta(days=30))
    endpoint = WebhookEndpoint(business_id=business_id, site_id=site_id, url=f"https://{key}.example.jp/hook",
                               label=f"試験用の通知先{key.upper()}", secret=f"whsec_seed_{key}", secret_prefix="whsec_seed",
                               active=False)  # stopped: other features' tests queue no events for it
    session.add_all([token, endpoint])
    session.flush()
    event = WebhookEvent(business_id=business_id, site_id=site_id, endpoint_id=endpoint.id,
                         event_id=f"seed-event-{key}", event_type="certificate.status_changed",
                         payload={"status": "sent"}, created_at=moment, status="delivered", attempts=1)
    session.add(event)
    session.flush()
    session.add(WebhookDelivery(business_id=business_id, site_id=site_id, event_id=event.id, attempt=1,
                                attempted_at=moment, status_code=200, success=True, duration_ms=5))
    session.flush()
    return {"ApiToken": token.id, "WebhookEndpoint": endpoint.id, "WebhookEvent": event.id,
            "_markers": [token.label, endpoint.label]}
