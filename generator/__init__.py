"""mend: documents for winning back a client's trust."""

__version__ = "0.1.0"
