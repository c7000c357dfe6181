"""The command tree as artefacts: completion scripts and man pages, generated from the Typer
app so they never drift (`python -m duckstring.reference.gendocs` writes them; a test checks)."""
