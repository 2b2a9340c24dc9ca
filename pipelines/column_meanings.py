"""What each published column means, and its unit: the data dictionary's words.

`pipelines.dictionary` joins them to the columns the snapshot actually has (their types come
from DuckDB), and `tests/test_marts.py` fails when a published column has no meaning here.
A meaning is written once: a bare column name serves every table that has the column,
`table.column` says what differs in one table.
"""

from __future__ import annotations

# column -> (meaning, unit). `table.column` entries override a bare column name.
COLUMNS: dict[str, tuple[str, str | None]] = {
    # shared keys and money
    "year": ("Calendar year: of the grant decision (dateConvention) for grants, of the transaction for IATI money, "
             "of the job count or of the event's start", "year"),
    "committed_eur": ("Money committed: SCDL grant amounts, plus IATI commitments (type 2) of activities no grant "
                      "links to; split over places and sectors by the activity's shares (docs/money-rules.md)", "EUR"),
    "disbursed_eur": ("Money paid: a grant's payments on the region's payment records (in the payment's year) "
                      "or, for a grant they do not cover, its IATI activity's disbursements and expenditures "
                      "(types 3 and 4, converted at the ECB reference rate of the value date); and the "
                      "disbursements of activities no grant funds (docs/money-rules.md, 'Payments')", "EUR"),
    "programme": ("The grant's programme (SCDL dispositifAide); 'Cofinancements (IATI)' for activities no grant "
                  "links to; 'Non renseigné' when empty", None),
    "beneficiary_type": ("Kind of beneficiary from the organisations directory (ong, collectivite, ...), "
                         "'personne_physique' for a natural person, 'non_renseigne' when unknown", None),
    "location_kind": ("'country', 'region' (IATI region code) or 'unallocated' (money that cannot be placed)", None),
    "location_code": ("Where the money goes: ISO 3166-1 alpha-3 country code, IATI region code, or 'unallocated'",
                      "code"),
    "sector_code": ("OECD DAC 5-digit purpose code, or 'unallocated' (no sector, or only a 3-digit category given)",
                    "code"),
    "category_code": ("OECD DAC 3-digit sector category (the 5-digit code's prefix), or 'unallocated'", "code"),
    "departement_code": ("INSEE département code (2A/2B for Corsica), or 'inconnu' when not placed", "code"),
    "name": ("Official name", None),
    "name_fr": ("Name in French", None),
    "name_en": ("Name in English", None),
    "code": ("Official code (INSEE)", "code"),
    "ldc": ("Least developed country (UN list)", "boolean"),
    # funding marts
    "funding_by_country.country_code": ("ISO 3166-1 alpha-3 country code, IATI region code, or 'unallocated'", "code"),
    "funding_by_country.name_fr": ("Country or region name in French (the code itself for regions)", None),
    "funding_by_country.name_en": ("Country or region name in English (the code itself for regions)", None),
    "population": ("Country population from GeoNames (one figure per country, no year: mostly World Bank 2018 "
                   "estimates; data/reference/SOURCES.md); null where unknown (and in funding_by_country for regions and 'unallocated')",
                   "people"),
    "committed_eur_per_capita": ("committed_eur divided by population; null where population is", "EUR per person"),
    "disbursed_eur_per_capita": ("disbursed_eur divided by population; null where population is", "EUR per person"),
    "sector_name_fr": ("DAC sector name in French (the category's when only a category is known)", None),
    "sector_name_en": ("DAC sector name in English (the category's when only a category is known)", None),
    "category_name_fr": ("DAC 3-digit category name in French", None),
    "category_name_en": ("DAC 3-digit category name in English", None),
    "funding_reconciliation.origin": ("Where the money comes from: 'grant' (committed: an SCDL grant's amount), "
                                      "'cofinancing' (committed: an IATI commitment of an activity no grant "
                                      "funds) or 'payment' (disbursed: the region's payment records, IATI "
                                      "disbursements and expenditures)", None),
    "funding_reconciliation.payments_tracked": ("True when a payment of this money could be known: the region's "
                                                "payment records cover the grant, or an IATI activity describes "
                                                "it; false for a grant neither covers (its payments are not "
                                                "tracked: 'non suivi', not 0 paid)", "boolean"),
    # the region's payment records (issue 16; docs/money-rules.md, 'Payments')
    "payments_source": ("Where the grant's payments are known from: 'accounting' (the region's payment records), "
                        "'iati' (its IATI activity's disbursements) or null (not tracked: 'non suivi')", None),
    "paid_eur": ("What was paid on the grant: the sum of its payments from payments_source; null where its "
                 "payments are not tracked (never 0 for 'not known')", "EUR"),
    "first_payment_date": ("Date of the grant's first payment on the region's payment records", "date"),
    "payment_date": ("Date of the payment (date_paiement of the payment order)", "date"),
    "grant_payments.year": ("Year of the payment (its date): payments count in the year they are made", "year"),
    "grant_payments.amount_eur": ("Amount paid, in euros, exact; negative for a reversal", "EUR"),
    "match_rule": ("How the payment was matched to its grant: 'grant_reference' (the analyst's link), 'decision' "
                   "(decision reference, and beneficiary when given) or 'beneficiary' (its only grant)", None),
    "payment_matching.year": ("Year of the payment (its date; null for a rejected row whose date is unreadable)",
                              "year"),
    "payment_matching.outcome": ("'matched' (counted as a grant's payment), 'unmatched' (no single grant found: "
                                 "not counted, listed for the analyst) or 'set_aside' (a repeated line or a "
                                 "rejected row: not counted)", None),
    "payment_matching.reason": ("The matching rule (matched), or why the payment was set aside: "
                                "unknown_decision, beneficiary_differs, ambiguous, unknown_beneficiary, "
                                "unknown_grant_reference, repeated_payment, rejected_row", None),
    "payments": ("Number of payment lines", "count"),
    "payment_matching.amount_eur": ("Their euros, exact", "EUR"),
    "unmatched_payments.source_file": ("Payments file the line comes from", None),
    "unmatched_payments.source_row": ("Line of that file (header = line 1)", "line"),
    "payment_order": ("Payment order number (numero_mandat) as the accounting writes it", None),
    "unmatched_payments.year": ("Year of the payment", "year"),
    "unmatched_payments.amount_eur": ("Amount paid, in euros, exact", "EUR"),
    "unmatched_payments.reference_decision": ("Decision reference the payment line gives (may be empty)", None),
    "grant_reference": ("Grant key the payment line gives ('<SCDL file>:<line>', may be empty)", None),
    "unmatched_payments.reason": ("Why no single grant was found (see payment_matching.reason)", None),
    "grants_paid": ("Number of grants with a first payment on the region's records", "count"),
    "min_days": ("Fewest days from the decision (dateConvention) to the first payment", "days"),
    "median_days": ("Median days from the decision to the first payment (the lower middle value)", "days"),
    "max_days": ("Most days from the decision to the first payment", "days"),
    "grants": ("Number of grants (SCDL rows, duplicates counted once)", "count"),
    "beneficiaries": ("Number of distinct beneficiary SIRETs among those grants", "count"),
    # public grants
    "grant_key": ("Identifier of the grant row: source file and line", None),
    "date_convention": ("Date of the grant decision (SCDL dateConvention)", "date"),
    "reference_decision": ("The authority's reference of the grant decision (SCDL referenceDecision)", None),
    "beneficiary_name": ("Beneficiary organisation; 'Personne physique (anonymisée)' for a natural person "
                         "(CRPA art. L.312-1-2)", None),
    "beneficiary_siret": ("Beneficiary SIRET (14 digits); empty for a natural person", "code"),
    "purpose": ("Purpose of the grant (SCDL objet); empty for a natural person", None),
    "amount_eur": ("Amount of the grant (SCDL montant)", "EUR"),
    "main_location_code": ("The linked IATI activity's largest place (ISO alpha-3, region code or 'unallocated')",
                           "code"),
    "main_category_code": ("The linked IATI activity's DAC 3-digit category with the largest share (ties: lowest "
                           "code), or 'unallocated' (no linked activity, or no DAC sector)", "code"),
    # outcomes
    "iati_identifier": ("IATI activity identifier", None),
    "activity_title": ("IATI activity title", None),
    "result_index": ("Position of the result in the activity (1-based)", None),
    "indicator_index": ("Position of the indicator in the result (1-based)", None),
    "result_title": ("IATI result title", None),
    "indicator_title": ("IATI indicator title", None),
    "measure": ("IATI indicator measure code (1 unit, 2 percentage, 3 nominal, 4 ordinal, 5 qualitative)", "code"),
    "ascending": ("True when a higher value is better", "boolean"),
    "baseline_year": ("Year of the indicator's baseline", "year"),
    "baseline_value": ("Baseline value of the indicator", "indicator unit"),
    "period_start": ("Start of the reporting period", "date"),
    "period_end": ("End of the reporting period", "date"),
    "target_value": ("Target value for the period", "indicator unit"),
    "actual_value": ("Value reached in the period", "indicator unit"),
    "achievement": ("(actual - baseline) / (target - baseline): 1 means the target is met", "ratio"),
    "outcomes.year": ("Year of the period's end (else start)", "year"),
    # project_activities (a grant's project page, issue 16)
    "project_activities.link_method": ("How the grant was linked to the activity: 'decision_reference', "
                                       "'identifier' or both joined by '+'", None),
    "project_activities.places": ("The activity's places, largest first: location_kind, location_code (ISO "
                                  "alpha-3, IATI region code or 'unallocated') and share (of the activity's "
                                  "money, 0-1, summing to 1)", None),
    "project_activities.sectors": ("The activity's DAC sectors, largest first: sector_code, category_code and "
                                   "share (of the activity's money, 0-1, summing to 1)", None),
    "project_activities.transactions": ("The activity's counted transactions in date order: transaction_type "
                                        "(IATI code), transaction_date, value and currency as published, value_eur "
                                        "at the ECB rate of the value date (null without a rate), all exact decimals", None),
    "outcomes.location_code": ("The activity's largest place (ISO alpha-3, region code or 'unallocated')", "code"),
    "outcomes.sector_code": ("The activity's largest DAC 5-digit sector, or 'unallocated'", "code"),
    "outcomes.category_code": ("The activity's largest DAC 3-digit category, or 'unallocated'", "code"),
    "outcomes.programme": ("Programme of the grant linked to the activity (empty when none)", None),
    # local impact
    "jobs_by_departement.name": ("Département name ('Non localisé' when not placed)", None),
    "campaign_reach.name": ("Département name ('Non localisé' when not placed)", None),
    "organisations": ("Number of organisations reporting jobs", "count"),
    "headcount": ("Jobs linked to international solidarity (head count)", "jobs"),
    "fte": ("Full-time equivalents linked to international solidarity", "FTE"),
    "volunteers": ("Volunteers reported by the organisations", "people"),
    "event_type": ("Type of awareness event (conference, projection, marche_equitable, ...; 'autre' otherwise)",
                   None),
    "events": ("Number of events, counted once when in both the CSV and the agenda", "count"),
    "participants": ("Audience reported in the events CSV (the agenda gives none)", "people"),
    "young_participants": ("Young people in that audience", "people"),
    # kpis and targets
    "indicator": ("Indicator name (committed_eur, disbursed_eur, partner_countries, grants, ngos_funded, "
                  "jobs_headcount, jobs_fte, events, participants, young_participants)", None),
    "kpis.value": ("Value of the indicator that year", "see unit"),
    "previous_value": ("Value of the indicator the year before", "see unit"),
    "target": ("Target set in data/config/targets.toml for that year", "see unit"),
    "unit": ("Unit of the indicator's value", None),
    "from_year": ("First year the target applies to", "year"),
    "to_year": ("Last year the target applies to (empty: until changed)", "year"),
    "note": ("What the target is", None),
    # data quality
    "data_quality.source": ("Source (grants, iati, organisations, jobs, events) or 'funding' for the money marts",
                            None),
    "metric": ("Metric: rows_read/accepted/rejected, files, files_refused, *_coverage (share of rows with the code), "
               "*_share_placed / *_share_with_sector (share of money placed), transactions_without_rate, "
               "unknown_codes (codes the references do not know: rows kept, each a warning in rejected_rows)", None),
    "data_quality.value": ("Value of the metric (shares between 0 and 1)", "count or share"),
    "latest_file_at": ("Modification time of the source's newest file", "timestamp"),
    "latest_record_on": ("Newest date inside the source's data (freshness)", "date"),
    # IATI money the euro figures net or leave out (data-quality page)
    # the 23,000 € publication rule (décret 2017-779)
    "publication_compliance.grants_over_threshold": ("Grants above 23,000 € that year (loi 2000-321 art. 10, "
                                                     "décret 2017-779: their essential data must be published)", "count"),
    "publication_compliance.amount_over_threshold_eur": ("Their total amount", "EUR"),
    "publication_compliance.grants_complete": ("Of them, grants published with every field the SCDL schema "
                                               "requires", "count"),
    "publication_compliance.compliance_rate": ("grants_complete / grants_over_threshold", "share"),
    "publication_compliance.missing_field": ("A required SCDL field some of these grants lack ('' when none does)",
                                             None),
    "publication_compliance.grants_missing": ("Grants above the threshold lacking missing_field", "count"),
    "publication_gaps.grant_key": ("The grant: its source file and line (analyst view only)", None),
    "publication_gaps.reference_decision": ("The grant's decision reference (SCDL referenceDecision)", None),
    "publication_gaps.beneficiary_name": ("The beneficiary organisation (null for a natural person)", None),
    "publication_gaps.amount_eur": ("The grant's amount", "EUR"),
    "publication_gaps.missing_field": ("A required SCDL field left empty or unreadable in the published file", None),
    # grants <-> projects
    "grant_project_reconciliation.grants": ("Grants of the year and programme", "count"),
    "grant_project_reconciliation.grants_eur": ("Their amount", "EUR"),
    "grant_project_reconciliation.grants_linked": ("Grants linked to one IATI activity of their authority "
                                                   "(docs/money-rules.md)", "count"),
    "grant_project_reconciliation.grants_linked_eur": ("Their amount", "EUR"),
    "grant_project_reconciliation.linked_by_decision_reference": ("Linked by the decision reference "
                                                                  "(<other-identifier type=\"A1\">)", "count"),
    "grant_project_reconciliation.linked_by_identifier_only": ("Linked by the activity identifier alone "
                                                               "(reporting-org ref + '-' + decision reference)",
                                                               "count"),
    "grant_project_reconciliation.grants_without_activity": ("Grants no IATI activity describes (fair trade, "
                                                             "awareness at home, or not yet reported)", "count"),
    "grant_project_reconciliation.grants_without_activity_eur": ("Their amount: money with no known destination "
                                                                 "country", "EUR"),
    "grant_project_reconciliation.links_ambiguous": ("Grants whose reference points to several activities: not "
                                                     "linked, listed for an analyst", "count"),
    "grant_project_reconciliation.links_suggested": ("Unlinked grants whose beneficiary and title match an "
                                                     "unlinked activity: suggestions for an analyst", "count"),
    "grant_project_reconciliation.activities_without_grant": ("IATI activities no grant funds (co-financing)",
                                                              "count"),
    "grant_project_reconciliation.activities_without_grant_eur": ("Their counted money (commitments and "
                                                                  "disbursements)", "EUR"),
    "grant_project_reconciliation.committed_unknown_country_eur": ("Committed money whose country is unknown "
                                                                   "(unallocated)", "EUR"),
    "grant_project_reconciliation.committed_share_known_country": ("Share of committed money placed in a "
                                                                   "country or region", "share"),
    "grant_project_reconciliation.committed_share_known_sector": ("Share of committed money with a DAC sector "
                                                                  "category", "share"),
    "link_review.review": ("'ambiguous' (several activities claim the grant: none is guessed) or 'suggested' "
                           "(beneficiary and title match: to confirm) — analyst view only", None),
    "link_review.method": ("How the grant and the activity match: decision_reference, identifier or "
                           "beneficiary_title", None),
    "link_review.grant_key": ("The grant: its source file and line", None),
    "link_review.reference_decision": ("The grant's decision reference", None),
    "link_review.beneficiary_name": ("The beneficiary organisation (null for a natural person)", None),
    "link_review.amount_eur": ("The grant's amount", "EUR"),
    "link_review.iati_identifier": ("The candidate IATI activity", None),
    "money_reconciliation.source": ("Source folder (grants, iati)", None),
    "money_reconciliation.year": ("Year of the amounts (grant year; IATI transaction date); null when unknown", "year"),
    "money_reconciliation.currency": ("ISO 4217 currency the amounts were read in (grants: EUR)", "code"),
    "money_reconciliation.outcome": ("'read' (everything read), 'counted' (in the money figures) or 'set_aside' "
                                     "(not counted, with its reason); read = counted + set_aside", None),
    "money_reconciliation.reason": ("Why an amount is set aside: exact_duplicate, total_line, rejected_row, "
                                    "duplicate_activity, counted_as_grant, not_commitment_or_disbursement, no_rate "
                                    "(docs/money-rules.md); null for read and counted", None),
    "money_reconciliation.rows": ("Number of grant lines or IATI transactions", "count"),
    "money_reconciliation.value": ("Sum of the amounts, in their own currency", "currency"),
    "money_reconciliation.value_eur": ("Sum in euros of the counted amounts (null otherwise)", "EUR"),
    "negative_money.year": ("Year of the transactions (their transaction date)", "year"),
    "negative_money.flow_kind": ("'committed' (IATI commitments, type 2, of activities no grant links to) or "
                                 "'disbursed' (disbursements and expenditures, types 3 and 4)", None),
    "negative_money.amount_eur": ("Net total, below zero, of the activity's counted transactions of that kind "
                                  "that year: cancellations, de-obligations or reimbursements outweigh the rest; "
                                  "counted as is in the money figures (docs/money-rules.md)", "EUR"),
    "negative_money.transactions": ("Number of counted transactions netted into amount_eur", "count"),
    "unconverted_money.currency": ("ISO 4217 currency of the amounts (the transaction's, else the activity's "
                                   "default-currency)", "code"),
    "unconverted_money.year": ("Year of the transactions (their transaction date)", "year"),
    "unconverted_money.transaction_type": ("IATI 2.0x transaction type (1 incoming funds, 2 commitment, "
                                           "3 disbursement, 4 expenditure, ...)", "code"),
    "unconverted_money.transactions": ("Number of transactions with no euro rate (rate_missing): value date "
                                       "before 1999-01-04, or a currency with neither an ECB rate within 7 days "
                                       "nor a legal euro peg", "count"),
    "unconverted_money.value": ("Sum of those transactions' values in their own currency: in no euro figure",
                                "see currency"),
    # manifest and rejected rows
    "built_at": ("When the snapshot was built (UTC)", "timestamp"),
    "code_version": ("Git commit of the code that built it", None),
    "snapshot_version": ("Hash of the code, SQL and input files: same inputs, same version", None),
    "is_sample": ("True when built from the generated sample data, not real files", "boolean"),
    "manifest.source": ("Source folder (grants, iati, organisations, jobs, events)", None),
    "rejected_rows.source": ("Source folder (grants, iati, organisations, jobs, events)", None),
    "source_file": ("Path of the raw file read", None),
    "sha256": ("SHA-256 of the raw file", None),
    "size_bytes": ("Size of the raw file", "bytes"),
    "modified_at": ("Modification time of the raw file", "timestamp"),
    "rows_read": ("Rows (or activities, or events) read from the file", "count"),
    "rows_accepted": ("Rows accepted into the warehouse", "count"),
    "rows_rejected": ("Rows rejected, each with its reason in rejected_rows", "count"),
    "error": ("Why the whole file was refused, if it was", None),
    "source_row": ("Line of the row in the file (header = 1), spreadsheet row, or XPath", None),
    "field": ("Field of the problem", None),
    "rejected_rows.value": ("Value found ('(masqué)' for identifying fields)", None),
    "reason": ("Reason of the problem (its code only for identifying fields)", None),
    "severity": ("'error' (row rejected) or 'warning' (row accepted and flagged)", None),
    # reference tables
    "alpha2": ("ISO 3166-1 alpha-2 code", "code"),
    "alpha3": ("ISO 3166-1 alpha-3 code", "code"),
    "numeric": ("ISO 3166-1 numeric code", "code"),
    "countries.status": ("ISO 3166 status of the code", None),
    "dac_code": ("OECD DAC recipient code", "code"),
    "dac_recipient": ("On the OECD DAC list of ODA recipients", "boolean"),
    "france_priority": ("One of France's priority poor countries (CICID)", "boolean"),
    "dac_region_fr": ("OECD DAC region, in French", None),
    "dac_region_en": ("OECD DAC region, in English", None),
    "code3": ("OECD DAC 3-digit sector category", "code"),
    "code5": ("OECD DAC 5-digit purpose code", "code"),
    "category3": ("The 5-digit code's 3-digit category", "code"),
    "dac_sectors.status": ("Whether the code is active or withdrawn in the codelist", None),
    "dac_categories.status": ("Whether the category is active or withdrawn in the codelist", None),
    "iati_regions.code": ("IATI Region code (OECD DAC regional recipient code, e.g. 289)", "code"),
    "iati_regions.name_fr": ("The region's name in French, from the IATI Region codelist", None),
    "iati_regions.name_en": ("The region's name in English, from the IATI Region codelist", None),
    "iati_regions.status": ("Whether the code is active or withdrawn in the codelist", None),
    "region_code": ("INSEE region code", "code"),
    "consumer_prices.year": ("Calendar year of the index", "year"),
    "consumer_prices.cpi": ("INSEE consumer price index, all households, France, annual average, base 2015 = 100 "
                            "(BDM series 001764363); the dashboard's constant euros: amount × latest cpi / "
                            "the year's cpi (docs/money-rules.md)", "index"),
    # the dictionary itself
    "table_name": ("Table of the snapshot", None),
    "column_name": ("Column of that table", None),
    "data_type": ("DuckDB type of the column", None),
    "meaning": ("What the column holds", None),
    "data_dictionary.unit": ("Unit of the values (EUR, count, code, date...)", None),
    "data_dictionary.source": ("The file that makes the table", None),
    "position": ("Position of the column in the table", None),
}
