"""The benchmark suite: ``python -m bench`` (``make bench``); see README "Performance"."""
