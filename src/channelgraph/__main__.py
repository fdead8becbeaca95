"""``python -m channelgraph``: the same entry as the ``channelgraph`` console script."""

from ._entry import run

if __name__ == "__main__":
    run()
