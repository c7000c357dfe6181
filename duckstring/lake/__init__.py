"""The data plane: every published table is a Delta Lake table (docs/operating.md §4).

- `where`: where a line's tables live (local disk under the root, or `DUCKSTRING_DATA_URL`) and
  the object-store options, taken from the standard environment only.
- `runs`: the run manifests — the versions of all of one run's tables, committed last, which is
  what makes a run visible.
- `publish`: a completed run's registry tables → one Delta version each (changed rows only).
- `read`: a line's tables pinned to a run or a version, and their change feeds.

Importing this package is cheap; `deltalake` and `duckdb` are imported where they are used.
"""
