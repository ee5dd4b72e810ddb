"""The staff digest e-mail and deadline reminders (sent by inbox_triage.scheduler).

collect.py reads what staff should act on, recipients.py decides who hears of
it in which language, render.py turns it into text and HTML from the
templates in templates/<language>/digest/, compose.py queues the digest in the
outbox (and serves the `digest` command), reminders.py queues the reminders.
"""
