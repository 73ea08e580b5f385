"""A customer's service requests (a deferral, an instalment plan, a promise, a waiver, a
payment trace) as the bank speaks of them: the words for each status a request can be in.

One table for everyone who shows a request's status: the assistant, when it tells a customer
that a request of the same kind is already open (``utter_request_exists``), and the agents'
console. Knows nothing of Rasa or the database.
"""

# A stored request's status -> how it is said. Handoff tickets have statuses of their own
# (open, resolved): they are not requests.
REQUEST_STATUS_WORDS = {"pending_review": "审核中", "active": "已生效"}
# A request in either status is open: asking again shows it instead of a second one.
OPEN_STATUSES = tuple(REQUEST_STATUS_WORDS)


def status_words(status: str) -> str:
    """The status in words; an unknown status is shown as it is stored."""
    return REQUEST_STATUS_WORDS.get(status, status)
