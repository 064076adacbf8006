"""Referrals and removal orders to platform partners.

``vocabulary`` (the fixed lists and which outcome fits which kind), ``authorities`` (who may
issue removal orders), ``intake`` (refer: validate, sign, store, group into cases; verify),
``ledger`` (every state change, with its audit record), ``access`` (who sees which item),
``queue`` (the platform's side) and ``referrer`` (the referring organisation's side).
"""
