"""Durable state the gateway keeps itself: the customer tickets it opened (more in issue 4)."""
