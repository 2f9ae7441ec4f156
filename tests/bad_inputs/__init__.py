"""A corpus of broken or awkward survey inputs, as bureaus deliver them (``build.py``)."""
