"""The load test of a whole trial day, from outside, under gunicorn (`make load`).

population.py builds the trial and the load accounts, database.py the throw-away
databases, locustfile.py the users, check.py the lost-write check, scenario.py runs it
all and writes bench/results.json["load"]. docs/decisions/0027-load-test.md says why.
"""
