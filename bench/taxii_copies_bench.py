"""What giving one copy per marking costs a TAXII page: `export.copies_per_marking` timed on
a bulletin of 25 objects shaped as the export makes them (8 observables, 12 relationships,
4 SDOs, a report of 24 references). Prints the median of 5 runs of 2,000 calls.

    .venv/bin/python bench/taxii_copies_bench.py
"""

import statistics
import sys
import timeit
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from portal.services.stix.export import copies_per_marking

objs = []
refs = []
for i in range(8):
    oid = f"user-account--{uuid.uuid4()}"
    refs.append(oid)
    objs.append(
        {
            "type": "user-account",
            "spec_version": "2.1",
            "id": oid,
            "user_id": f"h{i}",
            "account_login": f"h{i}",
            "account_type": "telegram",
            "object_marking_refs": ["marking-definition--x"],
            "extensions": {
                "extension-definition--y": {
                    "extension_type": "property-extension",
                    "platform": "telegram",
                    "value": "@h",
                }
            },
        }
    )
for i in range(12):
    oid = f"relationship--{uuid.uuid4()}"
    refs.append(oid)
    objs.append(
        {
            "type": "relationship",
            "id": oid,
            "created_by_ref": "identity--z",
            "source_ref": refs[i % 8],
            "target_ref": refs[(i + 1) % 8],
            "relationship_type": "related-to",
            "object_marking_refs": ["marking-definition--x"],
            "created": "x",
            "modified": "y",
        }
    )
for _ in range(4):
    oid = f"threat-actor--{uuid.uuid4()}"
    refs.append(oid)
    objs.append(
        {
            "type": "threat-actor",
            "id": oid,
            "created_by_ref": "identity--z",
            "name": "n",
            "object_marking_refs": ["marking-definition--x"],
            "created": "x",
            "modified": "y",
            "extensions": {"e": {"a": 1, "b": [1, 2]}},
        }
    )
objs.append(
    {
        "type": "report",
        "id": "report--r",
        "created_by_ref": "identity--z",
        "object_refs": refs,
        "object_marking_refs": ["m"],
        "name": "t",
        "description": "d" * 500,
    }
)
runs = [
    timeit.timeit(lambda: copies_per_marking(objs, "TLP:AMBER"), number=2000) / 2000 * 1e3
    for _ in range(5)
]
print("runs ms:", [round(r, 3) for r in runs], "median", round(statistics.median(runs), 3))
