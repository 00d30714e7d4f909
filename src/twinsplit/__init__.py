"""twinsplit: held-out OpenUSD digital twins with a manifest that proves independence."""

__version__ = "0.1.0"
