"""The incidents core: users, teams, services, incidents, their state machine
and timeline. Transport-neutral: the API, the web UI and Slack all call these
functions; nothing here imports them.
"""
