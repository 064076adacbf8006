"""Command-line administration: ``flask --app wsgi <command>``."""

from portal.cli.audit import audit_group
from portal.cli.backup import backup_group
from portal.cli.bulletins import bulletins_group
from portal.cli.database import db_group
from portal.cli.demo import demo_group, seed_demo
from portal.cli.graphs import graphs_group
from portal.cli.hashbanks import hashbanks_group
from portal.cli.keys import keys_group
from portal.cli.orgs import orgs_group
from portal.cli.referrals import referrals_group
from portal.cli.tokens import tokens_group
from portal.cli.translations import translations_group
from portal.cli.users import users_group
from portal.cli.watches import watches_group
from portal.cli.worker import worker

commands = [
    audit_group,
    backup_group,
    bulletins_group,
    db_group,
    demo_group,
    graphs_group,
    hashbanks_group,
    keys_group,
    orgs_group,
    referrals_group,
    seed_demo,
    tokens_group,
    translations_group,
    users_group,
    watches_group,
    worker,
]
