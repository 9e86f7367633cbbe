"""The assistant server: the team memory's ``ask`` and ``search`` tools and its pages, over
the Model Context Protocol, for AI assistants acting for a person with their own token."""
