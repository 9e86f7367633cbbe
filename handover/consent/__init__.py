"""The consent ledger: grants by the subject, the one read path and the purge registry."""
