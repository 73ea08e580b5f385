"""Proactive care: the bank writes first, before a due date and after a missed one.

``rules`` decides who is due which reminder at a China-time moment and why others are
skipped (pure); ``store`` reads the facts it needs from the loan database and records
every decision; ``figures`` is what a reminder says, from the database and the policy;
``sending`` talks to Rasa's HTTP API and WeChat's template-message API; ``web`` shows a
waiting reminder when a web customer next opens the chat; ``scheduler`` runs it all.
"""
