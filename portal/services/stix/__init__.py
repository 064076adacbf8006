"""STIX 2.1: bulletins out as bundles (:mod:`.export`), bundles in as draft bulletins
(:mod:`.intake`), with the shared vocabulary in :mod:`.vocabulary`."""
