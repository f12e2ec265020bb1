"""Points of contact and their reference data, as Django models with an import-export Resource."""
