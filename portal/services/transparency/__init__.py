"""Transparency: the figures Regulation (EU) 2021/784 asks hosting providers (Art. 7) and
competent authorities (Art. 8) to publish, and a referral unit's usual ones, computed from the
referral items and their ledger; pages, CSV and a yearly PDF report.

A domain above ``referrals`` (whose tables it reads) and ``briefings`` (whose charts and PDF
renderer it reuses).
"""
