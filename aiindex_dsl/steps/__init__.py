"""The methodological steps, one module each, in the order they run.

Each step takes the long table of indicator values (one row per unit, year and
indicator, with that indicator's settings as columns) and returns it with its
own columns added or changed. :data:`aiindex_dsl.compile.STEPS` is the order.
"""
