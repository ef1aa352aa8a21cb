"""Pure-Python domain rules: no Flask, no database."""
