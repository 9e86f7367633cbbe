"""Subject rights: erasure, what Tacit holds about a person, and their export."""
