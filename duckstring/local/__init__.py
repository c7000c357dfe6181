"""Local testing of a Pond project (docs/authoring.md §5, docs/cli.md `pond hydrate`, `pond run`,
`puddle`): Source snapshots materialised from the project's Puddles, one Pond Run against them,
and a look at both — all on this machine, no Catchment involved.

```
{project}/puddles/
├── ponds/{source}/data/{table}.parquet   hydrated Puddles (the Catchment root's layout)
└── out/
    ├── registry.duckdb                   the local registry `pond run` writes into
    ├── run.json                          what the last runs completed (for `--ripple`)
    ├── seed/{table}.parquet              Puddles of the Pond itself: its prior state
    └── {table}.parquet                   the run's output, exported like a publish
```

`project` loads a project and names those paths; `hydrate`, `run` and `snapshots` each serve
one command. They import duckdb inside functions, like the commands that call them.
"""
