"""The outbox: work that must follow a fact is recorded in the fact's own transaction.

A service that commits a fact and wants an e-mail, a roll-up or any other follow-up calls
``organizations.outbox.delivery.record_followup(...)`` inside its transaction. The row commits
with the fact; the delivery task is queued after commit; a beat job re-queues rows that are
overdue, so a broker outage or a killed worker delays the follow-up and loses nothing.
"""
