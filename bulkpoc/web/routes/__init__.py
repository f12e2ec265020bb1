"""The pages, one module per area; the JSON API is ``bulkpoc.web.api``."""
