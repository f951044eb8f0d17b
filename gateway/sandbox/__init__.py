"""Simulators of both upstream APIs, reached only over HTTP (never imported by the gateway)."""
