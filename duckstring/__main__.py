from duckstring.cli import main

main()
