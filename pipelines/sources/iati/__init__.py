"""The IATI reader: activity files of the International Aid Transparency Initiative standard,
versions 1.0x and 2.0x — https://iatistandard.org/en/iati-standard/activity-standard/.
`iter_activity_batches` and `read_activities` (in `activities`) stream a file, refusing
hostile XML; the compiled walk (`activity.pyx`, built by setup.py) turns each
`<iati-activity>` into table rows; `codes` translates the 1.0x text codes to 2.0x codes.
"""

from pipelines.sources.iati.activities import iter_activity_batches, read_activities

__all__ = ["iter_activity_batches", "read_activities"]
