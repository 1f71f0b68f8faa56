"""Storage: the only package that touches SQLAlchemy. See `Store` and `ResultWriter`."""

from monitor.store.errors import describe_error, is_unavailable
from monitor.store.records import ProviderInfo, RetentionReport, Target
from monitor.store.rows.snapshots import SnapshotInfo
from monitor.store.store import Store
from monitor.store.writer import ResultWriter

__all__ = [
    "ProviderInfo",
    "ResultWriter",
    "RetentionReport",
    "SnapshotInfo",
    "Store",
    "Target",
    "describe_error",
    "is_unavailable",
]
