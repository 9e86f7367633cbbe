"""What protects people before anything reaches a draft or an index: redaction, pseudonyms, out-of-scope topics."""
