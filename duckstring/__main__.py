from duckstring.cli import main

main(prog_name="duckstring")
