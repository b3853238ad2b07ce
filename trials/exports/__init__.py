"""Exports of a trial for its statisticians: pseudonymised datasets as CSV and JSON, streamed
with flat memory (from `COPY … TO STDOUT` on PostgreSQL for the big ones), a REDCap-like data
dictionary and a README. Admins only, and every export is written to the audit log with who and
why before a byte leaves (trials/exports/services.py).

Modules: `cells` (types, formula escaping), `datasets` (the registry: columns and rows),
`copy` (PostgreSQL COPY), `writers` (CSV, JSON, ZIP streams), `dictionary`, `readme`,
`files` (the names of the files an export holds, and writing them to a folder), `services`.
"""

# The version of the export's format: the files, their columns and their conventions. Raise the
# minor version when a column is added, the major version when one changes meaning or goes.
EXPORT_VERSION = "1.0"
