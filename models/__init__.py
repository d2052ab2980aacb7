"""Store tables: leads, cases, milestone completions and their history."""
