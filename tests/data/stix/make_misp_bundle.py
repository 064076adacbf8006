"""A MISP-shaped STIX 2.1 bundle made by misp-stix itself (tests/data/stix/README.md)."""

import json

from misp_stix_converter import MISPtoSTIX21Parser
from pymisp import MISPEvent, MISPObject

ev = MISPEvent()
ev.info = "Recruitment network on messaging apps"
ev.uuid = "4f3a8c1e-2b6d-4e9a-9c71-0d5e8f2a6b13"
ev.date = "2026-03-01"
ev.timestamp = 1772323200
ev.publish_timestamp = 1772323200
ev.add_tag("tlp:amber")
ev.add_attribute(
    "email-src",
    "contact@recruit.onion",
    uuid="5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    timestamp=1772323200,
)
ev.add_attribute(
    "email-src",
    "handler@example.test",
    uuid="6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
    timestamp=1772323200,
)
ev.add_attribute(
    "phone-number",
    "+33 6 12 34 56 78",
    uuid="7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f",
    timestamp=1772323200,
)
ev.add_attribute(
    "url",
    "https://t.me/recruit_channel",
    uuid="8d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a",
    timestamp=1772323200,
)
person = MISPObject("person", standalone=False)
person.uuid = "9e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b"
person.timestamp = 1772323200
person.add_attribute("first-name", "Abu")
person.add_attribute("last-name", "Example")
person.add_attribute("nationality", "Syrian")
person.add_attribute("phone-number", "+963 944 123 456")
ev.add_object(person)
tw = MISPObject("twitter-account", standalone=False)
tw.uuid = "af6a7b8c-9d0e-4f1a-9b2c-4d5e6f7a8b9c"
tw.timestamp = 1772323200
tw.add_attribute("name", "recruit_x")
tw.add_attribute("id", "1234567890")
tw.add_attribute("displayed-name", "Recruiter")
ev.add_object(tw)
tg = MISPObject("telegram-account", standalone=False)
tg.uuid = "b07b8c9d-0e1f-4a2b-8c3d-5e6f7a8b9c0d"
tg.timestamp = 1772323200
tg.add_attribute("username", "recruit_tg")
tg.add_attribute("phone", "+33 7 98 76 54 32")
ev.add_object(tg)
parser = MISPtoSTIX21Parser()
parser.parse_misp_event(json.loads(ev.to_json()))
b = parser.bundle
print(b.serialize(pretty=True))
