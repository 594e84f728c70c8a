"""A local AWS on loopback: moto for what moto does, our layer for the rest."""

DEFAULT_PORT = 4566
DEFAULT_ACCOUNT_ID = "123456789012"
