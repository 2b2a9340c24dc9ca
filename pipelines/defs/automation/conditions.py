"""When a derived asset (staging and mart tables, their checks, the publish step) rebuilds by itself.

One rule for all of them: rebuild when an upstream asset was updated, once none is missing or
still running (Dagster's `eager`). A run that already rebuilt the asset with its upstream (the
inbox sensor's runs, `rebuild`, `reload_year`) is not followed by a second one: `eager` ignores
an upstream update made by a run that also planned the asset. The sources (`raw/*`, `ref/*`)
have no condition: files arriving are the inbox sensor's business.

The rule is evaluated by the `rebuild_downstream` sensor (`sensors.py`), off by default.
"""

import dagster as dg

REBUILD_WHEN_UPSTREAM_UPDATES = dg.AutomationCondition.eager()

# Everything computed from the sources: what `rebuild_downstream` evaluates.
DERIVED = dg.AssetSelection.key_prefixes(["staging"], ["marts"], ["publish"])
