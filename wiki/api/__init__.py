"""The wiki's REST API, one module per capability; ``wiki.api_urls`` routes to the modules."""
