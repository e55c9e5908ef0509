"""Use cases: load, call the rules, persist, audit; one commit each.

Services take the session, the acting user and the time as arguments, and never read
the request, flash or build URLs."""
