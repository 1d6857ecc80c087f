"""The demo market (the 2025 deals, a pipeline, investors, market data) and its loader; no product code imports it."""
