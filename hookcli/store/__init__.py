"""The durable capture store (see log.py for the file format)."""

from hookcli.store.log import StoreCorrupt, StoreUnavailable
from hookcli.store.store import IndexMark, NotFound, Store, parse_id

__all__ = ["IndexMark", "NotFound", "Store", "StoreCorrupt", "StoreUnavailable", "parse_id"]
