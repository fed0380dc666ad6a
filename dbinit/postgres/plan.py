"""The PostgreSQL planner's former home: it lives in `dbinit.postgres.planner`, one
module per object kind around the builder's core. These names stay importable from here."""

from dbinit.postgres.ddl import column_sql, conversion, seq_options, temp_name
from dbinit.postgres.planner import LOSS_REASON, PRUNE_REASON, is_extra, make_plan
from dbinit.postgres.planner.comments import comment_sql
from dbinit.postgres.planner.text import UNSUPPORTED_REASON

__all__ = [
    "LOSS_REASON",
    "PRUNE_REASON",
    "UNSUPPORTED_REASON",
    "column_sql",
    "comment_sql",
    "conversion",
    "is_extra",
    "make_plan",
    "seq_options",
    "temp_name",
]
