"""tacit-hello-plugin: a navigation link and a panel on every page, space, case and person."""
