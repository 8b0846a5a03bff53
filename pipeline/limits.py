"""Limits the command line offers as defaults, apart from the modules that enforce them so
that the options can be listed without importing Arrow."""

DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: well above the province tier, far below a runaway file
