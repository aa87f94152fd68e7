"""renkei (連携): gather member activities, publish the council's newsletter and open data."""

__version__ = "0.1.0"
