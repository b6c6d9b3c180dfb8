"""Drives a running server through the client generated from its /openapi.json.

Every call must answer 200 and parse into the model the description names: a schema the
generator mishandled, or an answer that breaks its schema, fails here. Run by run.sh.
"""

import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

from switchboard_client import AuthenticatedClient
from switchboard_client.api.account import get_account
from switchboard_client.api.broadcasts import get_broadcasts_by_id, post_broadcasts
from switchboard_client.api.channels import get_channels_by_channel
from switchboard_client.api.contacts import (
    get_contacts,
    post_contacts,
    post_contacts_by_id_tags,
    post_contacts_import,
)
from switchboard_client.api.clients import post_clients
from switchboard_client.api.locations import post_locations
from switchboard_client.api.messages import (
    get_messages_by_contact_id,
    post_messages_by_channel_by_action,
)
from switchboard_client.api.segmenter import post_segmenter_segments
from switchboard_client.api.segments import (
    get_segments_by_id_contacts,
    get_segments_by_id_count,
    post_segments,
    post_segments_preview,
    put_segments_by_id,
)
from switchboard_client.api.templates import post_templates
from switchboard_client.api.wati import post_create_custom_segment
from switchboard_client.api.webhooks import (
    post_webhooks,
    post_webhooks_by_id_rotate_secret,
    post_webhooks_by_id_test,
)
from switchboard_client import models
from switchboard_client.types import File


def ok(response, model):
    """The parsed answer of a 200 that the description says is a `model`."""
    assert response.status_code == HTTPStatus.OK, (response.status_code, response.content)
    parsed = response.parsed
    if model is list:
        assert isinstance(parsed, list), parsed
    else:
        assert isinstance(parsed, model), (type(parsed), response.content)
    return parsed


class Receiver(BaseHTTPRequestHandler):
    """Keeps each request's headers and body; answers 204."""

    got = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        Receiver.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def received(event_type):
    """The requests of `event_type` received so far, waiting up to 10 s for one."""
    deadline = time.time() + 10
    while time.time() < deadline:
        found = [(h, b) for h, b in Receiver.got if f'"type":"{event_type}"' in b.decode()]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no {event_type} event arrived")


def webhooks(client):
    """Events pushed to a receiver, each verified with the reference library."""
    created = post_webhooks.sync_detailed(
        client=client, body=models.WebhookInput.from_dict({"url": receiver(), "events": ["*"]}))
    assert created.status_code == HTTPStatus.CREATED, created.content
    hook = created.parsed
    assert isinstance(hook, models.NewWebhook), created.content
    ok(post_contacts.sync_detailed(client=client, body=models.PersonInput.from_dict({"name": "Hooked"})), models.Person)
    headers, body = received("contact.created")[0]
    event = Webhook(hook.secret).verify(body, headers)
    assert event["data"]["name"] == "Hooked", event
    rotated = ok(post_webhooks_by_id_rotate_secret.sync_detailed(int(hook.id), client=client), models.NewWebhook)
    attempt = ok(post_webhooks_by_id_test.sync_detailed(int(hook.id), client=client), models.WebhookAttempt)
    assert attempt.status == models.WebhookAttemptStatus.SUCCEEDED, attempt.to_dict()
    headers, body = received("webhook.test")[0]
    for secret in (hook.secret, rotated.secret):
        Webhook(secret).verify(body, headers)


def main(base, key):
    client = AuthenticatedClient(base_url=base, token=key, raise_on_unexpected_status=True)

    pune = ok(post_locations.sync_detailed(client=client, body=models.LocationInput(title="Pune")), models.Location)
    asha = ok(
        post_contacts.sync_detailed(
            client=client,
            body=models.PersonInput.from_dict({
                "name": "Asha Rao", "phoneNumber": "98765 43210", "email": "asha@example.com",
                "gender": "female", "birthDate": "1990-04-01", "contactStage": "lead",
                "channelIds": {"telegram": "551234"}, "location": {"id": pune.id},
                "tags": ["vip"], "attributes": {"city": "Pune", "orders": 7, "member": True},
            }),
        ),
        models.Person,
    )
    assert asha.phone_number == "+919876543210", asha.phone_number
    assert asha.gender == "Female", asha.gender
    ok(post_clients.sync_detailed(client=client, body=models.PersonInput.from_dict({"name": "Ravi"})), models.Person)
    ok(post_contacts_by_id_tags.sync_detailed(int(asha.id), client=client, body=models.Tags(tags=["gold"])), models.Person)
    people = ok(get_contacts.sync_detailed(client=client, tag="gold"), list)
    assert [p.id for p in people] == [asha.id]

    imported = ok(
        post_contacts_import.sync_detailed(
            client=client,
            body=File(payload=b"name,phoneNumber,city\nMeera,+919876543211,Mumbai\n,not a phone,\n",
                      file_name="people.csv", mime_type="text/csv"),
        ),
        models.ImportResult,
    )
    assert (imported.created, imported.failed_count) == (1, 1), imported.to_dict()

    rule = {
        "name": "Pune VIPs", "criteria": {"tags": ["vip"]},
        "groups": [{"conditions": [{"attribute": "city", "operator": "is", "value": "Pune"},
                                   {"attribute": "orders", "operator": ">", "value": 3}]}],
    }
    segment = ok(post_segments.sync_detailed(client=client, body=models.SegmentInput.from_dict(rule)), models.Segment)
    assert segment.member_count == 1, segment.to_dict()
    preview = ok(
        post_segments_preview.sync_detailed(client=client, body=models.SegmentChanges.from_dict({"criteria": {"tags": ["vip"]}})),
        models.Preview,
    )
    assert preview.count == 1
    renamed = ok(
        put_segments_by_id.sync_detailed(int(segment.id), client=client, body=models.SegmentChanges.from_dict({"name": "VIPs"})),
        models.Segment,
    )
    assert renamed.name == "VIPs" and renamed.member_count == 1
    members = ok(get_segments_by_id_contacts.sync_detailed(int(segment.id), client=client), list)
    assert [m.id for m in members] == [asha.id]
    assert ok(get_segments_by_id_count.sync_detailed(int(segment.id), client=client), models.Count).count == 1
    static = ok(
        post_segments.sync_detailed(client=client, body=models.SegmentInput.from_dict({"name": "picked", "contactIds": [asha.id]})),
        models.Segment,
    )
    assert static.member_count == 1

    ok(
        post_templates.sync_detailed(
            client=client,
            body=models.TemplateInput.from_dict({"name": "order_update", "language": "en", "category": "utility",
                                                 "body": "Hi {{1}}, your order ships today"}),
        ),
        models.Template,
    )
    sent = ok(
        post_messages_by_channel_by_action.sync_detailed(
            models.Channel.TELEGRAM, models.SendAction.SENDTEXT,
            client=client, idempotency_key="order-1",
            body=models.SendInput.from_dict({"contact": {"id": asha.id}, "textMessage": "Your order ships today"}),
        ),
        models.Accepted,
    )
    log = ok(get_messages_by_contact_id.sync_detailed(int(asha.id), client=client), list)
    assert log and log[0].id == sent.id, [m.to_dict() for m in log]

    broadcast = ok(
        post_broadcasts.sync_detailed(
            client=client,
            body=models.BroadcastInput.from_dict({"name": "Diwali", "segment": {"id": segment.id}, "channel": "telegram",
                                                  "textMessage": "Hi {{firstName|there}}"}),
        ),
        models.Broadcast,
    )
    ok(get_broadcasts_by_id.sync_detailed(int(broadcast.id), client=client), models.Broadcast)

    wati = ok(
        post_create_custom_segment.sync_detailed(
            client=client,
            body=models.WatiSegmentInput.from_dict({"name": "From Pune", "refreshType": 2, "groups": [
                {"conditions": [{"attribute": "city", "operator": "==", "value": "Pune"}]}]}),
        ),
        models.WatiResult,
    )
    assert wati.result is True
    ok(
        post_segmenter_segments.sync_detailed(
            client=client,
            body=models.SegmenterInput.from_dict({"name": "newsletter", "persons": [
                {"externalId": "s-1", "firstName": "Kiran", "phone": "+919876543212",
                 "substitutionTags": [{"tag": "plan", "value": "gold"}]}]}),
        ),
        models.SegmenterResult,
    )
    ok(get_channels_by_channel.sync_detailed(models.Channel.WHATSAPP, client=client), models.ChannelSettings)
    webhooks(client)
    account = ok(get_account.sync_detailed(client=client), models.Account)
    assert account.usage.contacts == 5, account.usage.to_dict()
    print("the generated client made every call and read every answer; the reference "
          "Standard Webhooks library verified every event")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
