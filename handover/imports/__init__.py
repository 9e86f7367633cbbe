"""The batched, resumable import of an export: sources, runs, batches, people merges."""
