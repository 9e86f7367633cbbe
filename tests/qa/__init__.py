"""Tests of qa/: the embedding model and, as they land, chunking, the index and answers."""
