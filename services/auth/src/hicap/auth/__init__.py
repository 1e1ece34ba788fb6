"""hicap.auth: orgs, teams, apps, API keys (hashed) and roles. Its AUTH events are the truth."""
