"""Protection before anything reaches a draft or an index.

Redaction, pseudonyms of third parties, and topics left out of scope by default.
"""
