from duckstring.duck.main import run

run()
