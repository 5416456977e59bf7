"""Blueprints: auth (organiser login), admin (organiser pages), api (JSON for kiosks, /healthz)."""
