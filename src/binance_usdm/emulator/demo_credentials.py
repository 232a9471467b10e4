"""The demo account's API key and secret: public (the emulator prints the key), what ``usdm`` signs
with when no credentials are configured. Alone in a module without imports, so that a program
needing only them does not load the emulator."""

DEMO_API_KEY = "V6jMsvOcHfgtRuJKLlBIOTvKwe28hqU483bwHE0UHfRRFaFhLDiXo5wNQwvI6tK5"
DEMO_API_SECRET = "QP7mnwi9TImba4W86SnnM5FLWQVCSEUPZImDjeFIutTGYzz5Z4HGc0V4xnH3v1aP"  # noqa: S105 - public demo
