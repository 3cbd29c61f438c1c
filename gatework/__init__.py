"""gatework: recurrent gate math you can read, and forecasts you can trust."""

__version__ = "0.1.0"
