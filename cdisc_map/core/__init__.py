"""The foundation every layer stands on: problems, dates, text, per-distinct work, timing.

Nothing here knows a standard, a spec or a file format; everything above may import it.
"""
