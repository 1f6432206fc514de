"""The platform descriptions shipped with chassisctl (package data)."""
