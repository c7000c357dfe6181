from duckstring.cli import app

app(prog_name="duckstring")
