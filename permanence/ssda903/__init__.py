"""England's SSDA903 return ("children looked after"), read into cases and dates.

A pure core, no files opened and no store touched: `tables` recognises the return's tables by
their headers, reads and merges their rows into plain records (with every bad row named by
file, line and column); `periods` turns one child's records into periods of care, one case per
period, and the dates each case records. `permanence.national_return` is the edge that reads
the files and writes to the store. docs/ssda903.md is the reference.
"""
