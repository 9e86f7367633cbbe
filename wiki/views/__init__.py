"""HTML views of the wiki, one module per capability; ``wiki.urls`` routes to the modules."""
