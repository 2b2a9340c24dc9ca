"""One partition per publisher file of the registry dump: `<publisher>/<file name>`, the manifest's key.

Dynamic: the `context_dump` sensor (sensors.py) adds a partition for each new file and deletes those of
files gone from the dump."""

import dagster as dg

REGISTRY_FILES = dg.DynamicPartitionsDefinition(name="registry_files")
