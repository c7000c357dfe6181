"""Command groups of the `duckstring` CLI, one module each."""
