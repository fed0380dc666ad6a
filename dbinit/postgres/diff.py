"""The PostgreSQL differ's former home: it lives in `dbinit.postgres.compare`, one
module per object kind. These names stay importable from here."""

from dbinit.postgres.compare import Comparison, compare, diff
from dbinit.postgres.compare.constraints import (
    constraint_cost,
    foreign_keys_on,
    kept_foreign_keys,
    renamed_keys,
)
from dbinit.postgres.compare.hazards import (
    ACCESS_EXCLUSIVE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    Facet,
    data_loss,
    index_build,
    lock,
    rewrite,
    validation_scan,
    worst,
)
from dbinit.postgres.compare.renames import Renames, renamed_live
from dbinit.postgres.compare.sequences import sequences_behind
from dbinit.postgres.compare.tables import (
    column_facets,
    is_constant_default,
    table_facets,
    type_change,
)
from dbinit.postgres.compare.types import enum_additions
from dbinit.postgres.compare.unmanaged import (
    history_hooks,
    is_history_hook,
    is_unmanaged,
)

__all__ = [
    "ACCESS_EXCLUSIVE",
    "SHARE_ROW_EXCLUSIVE",
    "SHARE_UPDATE_EXCLUSIVE",
    "Comparison",
    "Facet",
    "Renames",
    "column_facets",
    "compare",
    "constraint_cost",
    "data_loss",
    "diff",
    "enum_additions",
    "foreign_keys_on",
    "history_hooks",
    "index_build",
    "is_constant_default",
    "is_history_hook",
    "is_unmanaged",
    "kept_foreign_keys",
    "lock",
    "renamed_keys",
    "renamed_live",
    "rewrite",
    "sequences_behind",
    "table_facets",
    "type_change",
    "validation_scan",
    "worst",
]
