from duckstring.entry import main

main(prog_name="duckstring")
