"""Business rules, free of Flask's request objects: web views, workers and the CLI call these."""
