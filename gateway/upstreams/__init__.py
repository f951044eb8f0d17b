"""Clients of the upstream APIs: one package or module per API, all sending through ``http``."""
