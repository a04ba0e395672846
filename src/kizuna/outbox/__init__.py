"""Domain events: what happened to an account, for the features that react to it."""
