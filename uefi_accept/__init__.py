"""uefi-accept: who accepts which memory, firmware or kernel, and what it costs."""

__version__ = "0.2.0"
