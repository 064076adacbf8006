"""STIX 2.1 and TAXII 2.1: bulletins out as bundles (:mod:`.export`), bundles in as draft
bulletins (:mod:`.intake`), the TAXII collections over what an organisation reads
(:mod:`.taxii`), and the shared vocabulary (:mod:`.vocabulary`).
"""
