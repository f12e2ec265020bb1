"""Running one batch: read, validate, plan, apply, and the result, in one transaction."""
