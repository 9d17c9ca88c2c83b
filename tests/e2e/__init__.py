"""Browser tests: flows a person clicks through, driven by Playwright and Debian's Chromium."""
