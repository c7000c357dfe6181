"""What the command line shows: consoles and prompts, rich renderings of Catchment documents,
and the live views that follow a pipeline until it settles."""
