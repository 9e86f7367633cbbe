"""Drafting: handover sections written from a case's consented threads, and the interview.

The room's modules:

- ``compose``: the text analysis of one topic (pure functions over the read path's
  ``ConsentedMessage`` values): its title, the extractive summary, decisions with their
  reasons, open items, resources, people to ask and recurring duties, every line with
  the messages it came from.
- ``runner``: one drafting run (read through ``handover.consent.read`` under the
  publish purpose, embed threads in batches, cluster into topics, write a section per
  topic), resumable and cancellable; ``tasks`` are its Celery interfaces.
- ``services`` / ``selectors``: the subject's edits of topics, sections and sentences,
  the interview, the successors' questions, and the reads the review pages need.
- ``generation``: the optional rewrite by an operator-configured endpoint.
"""
