"""The Duck: the worker process that executes one Pond line (docs/operating.md §1–§3).

`python -m duckstring.duck --root ROOT --line NAME@MAJOR`, with the Catchment's address in
`DUCKSTRING_CATCHMENT_URL` and its Duck token in `DUCKSTRING_DUCK_TOKEN`; on another machine
`--work DIR` with a one-time `DUCKSTRING_DUCK_BOOTSTRAP` instead of the token (`remote`).

| module | holds |
|---|---|
| `main` | argument parsing, the line lock, logging, launching the worker, re-exec |
| `worker` | the main loop: jobs, executor, attempts, publishing, kill, watchdog |
| `ledger` | `pond.db`: runs, attempts, checkpoints, outbox, handover |
| `poller`, `sender`, `channel` | the Duck channel: long-poll jobs, post the outbox |
| `loader` | loading one deployed version's manifest and Ripples |
| `attempt` | one Ripple call on a pool thread: log capture, error and traceback |
| `handle` | `PondHandle`, the `pond` a Ripple receives (importable without duckdb) |
| `registry` | the line's DuckDB registry and the atomic `write_table` swap |
| `publish` | exporting Parquet snapshots under the schema contract |
| `line_lock` | one Duck per line |
| `remote` | a Duck on another machine (`--work DIR`): bootstrap, fetching versions, rebuilding the registry |
"""
