"""An index added to a table that already holds data is built without locking out its writes
(core/migration_operations.py): on PostgreSQL CREATE INDEX blocks every insert and update of the
table until it is built: every check-in (crisis answers included) waits through the build during
a release, 2.6 s for the 3.4 million check-ins of bench/generate.py's two years, longer as the
table grows."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, CreateModel, RemoveIndex

from core.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently

# The project's own apps: those whose code is in this repository (not in a package).
PROJECT_APPS = {
    config.label
    for config in apps.get_app_configs()
    if Path(config.path).is_relative_to(settings.BASE_DIR)
    and ".venv" not in Path(config.path).relative_to(settings.BASE_DIR).parts
}

# Indexes added before this rule, each with the tables it touched still small in every
# deployment (before the national roll-out); listed so that none is added to.
BEFORE_THE_RULE = {
    ("cessation", "0004_reminder_indexes_for_fanout"),
    ("core", "0004_delivery_urgent"),
    ("peersupport", "0003_moderation_and_messages"),
}


def _index_changes_to_existing_tables():
    loader = MigrationLoader(None, ignore_no_migrations=True)  # from disk: no database
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        if app not in PROJECT_APPS:
            continue
        created_here = {
            op.name.lower() for op in migration.operations if isinstance(op, CreateModel)
        }
        for op in migration.operations:
            if isinstance(op, (AddIndex, RemoveIndex)) and op.model_name_lower not in created_here:
                yield app, name, migration, op


def test_indexes_on_existing_tables_are_built_concurrently_on_postgresql():
    changes = list(_index_changes_to_existing_tables())
    assert changes, "the check found no index changes at all: it is not looking"
    plain = []
    for app, name, migration, op in changes:
        if (app, name) in BEFORE_THE_RULE:
            continue
        concurrent = isinstance(op, (AddIndexConcurrently, RemoveIndexConcurrently))
        if not concurrent or migration.atomic:
            plain.append(f"{app}.{name}: {op.describe()}")
    assert not plain, (
        "use core.migration_operations.AddIndexConcurrently / RemoveIndexConcurrently and "
        "atomic = False for: " + "; ".join(plain)
    )


def test_the_check_reads_the_projects_own_apps():
    assert {"core", "cessation", "safety", "peersupport", "records"} <= PROJECT_APPS
    assert not {"admin", "account", "mfa"} & PROJECT_APPS  # packages' apps are theirs


def test_the_list_of_older_migrations_holds_only_migrations_that_change_indexes():
    with_index_changes = {(app, name) for app, name, _, _ in _index_changes_to_existing_tables()}
    assert with_index_changes >= BEFORE_THE_RULE
