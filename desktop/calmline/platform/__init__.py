"""One module per OS concern, each with a Protocol, per-OS implementations and a
null fallback, chosen by a factory. `sys.platform` is only read here."""
