"""The bank's rules for customers behind on a loan or card, and the pure helpers they need
(clock, money, parsing, masking, identity, remedies, reminders, personal data).

Nothing of Rasa, the web or the database is imported here: the database layer (loandb/)
and every adapter (actions, NLU components, dialogue policies, channels, console,
reminders) depend on this package, never the other way round."""
