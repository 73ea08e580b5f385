"""The bank's rules on personal data: how long each kind is kept, and what an erasure may
not touch. Pure: nothing of Rasa, the web or the database (loandb/retention.py and
loandb/erasure.py apply them)."""
