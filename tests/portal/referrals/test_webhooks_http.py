"""The webhook page: the platform's administrator registers the endpoint and sees every
attempt; a bad address is a 400 naming the field; liaison officers only look; ministries
get a 404."""

from __future__ import annotations

from tests.portal.conftest import csrf_token, sign_in
from tests.portal.referrals.test_webhooks import Listener


def test_the_administrator_registers_and_sees_attempts(app, world):
    app.config["WEBHOOK_ALLOW_LOOPBACK_HTTP"] = True
    listener = Listener()
    listener.statuses = [500]
    try:
        admin = app.test_client()
        sign_in(admin, world.people, "x.admin@platform-x.example")
        page = admin.get("/referrals/webhook")
        assert page.status_code == 200 and "No endpoint is registered" in page.text
        token = csrf_token(page.text)
        refused = admin.post(
            "/referrals/webhook", data={"csrf_token": token, "url": "http://hooks.example.com/"}
        )
        assert refused.status_code == 400
        assert "url: The endpoint must be an https:// address" in refused.text
        assert 'value="http://hooks.example.com/"' in refused.text
        done = admin.post("/referrals/webhook", data={"csrf_token": token, "url": listener.url})
        assert done.status_code == 302
        with app.app_context():
            world.refer("de")
        shown = admin.get("/referrals/webhook").text
        assert listener.url in shown and "HTTP 500" in shown and "pending" in shown
        assert "referral.items.new (1 item)" in shown

        liaison = app.test_client()
        sign_in(liaison, world.people, "x@platform-x.example")
        seen = liaison.get("/referrals/webhook")
        assert seen.status_code == 200 and "HTTP 500" in seen.text
        assert 'name="url"' not in seen.text
        assert (
            liaison.post(
                "/referrals/webhook",
                data={"csrf_token": csrf_token(seen.text), "url": listener.url},
            ).status_code
            == 403
        )

        ministry = app.test_client()
        sign_in(ministry, world.people, "de@de-bmi.example")
        assert ministry.get("/referrals/webhook").status_code == 404

        removed = admin.post("/referrals/webhook/remove", data={"csrf_token": token})
        assert removed.status_code == 302
        assert "No endpoint is registered" in admin.get("/referrals/webhook").text
        before = len(listener.received)
        with app.app_context():
            world.refer("fr")
        assert len(listener.received) == before  # removed: nothing more is sent
    finally:
        listener.close()
