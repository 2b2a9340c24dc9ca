"""The whole pipeline on a raw folder where hostile files sit next to good ones.

The run publishes; good rows of hostile files reach the marts (once, however many
files repeat them); every bad row and refused file is explained in the snapshot's
rejected_rows; a file delivered twice adds nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from .corpus import CASES, SCDL_HEADER, delimited, grant, siret

BY_ID = {c.id: c for c in CASES}
HOSTILE = {  # raw sub-folder / file name -> corpus case
    "grants/hostile_absurd.csv": "grants-absurd-amount",
    "grants/hostile_mixed.csv": "grants-mixed-encoding",
    "grants/empty.csv": "grants-empty-file",
    "iati/xxe.xml": "iati-xxe-external-entity",
    "organisations/orgs_bad.csv": "organisations-bad-siret-checksum",
    "events/agenda_bad.ics": "events-ics-cp1252",
}


def test_pipeline_publishes_good_rows_and_explains_bad_ones(small_raw: Path, tmp_path: Path):
    from pipelines.run import materialize_all

    raw = tmp_path / "raw"
    shutil.copytree(small_raw, raw)
    for name, case_id in HOSTILE.items():
        (raw / name).write_bytes(BY_ID[case_id].build())
    # issue 20 #6: a sole trader (valid SIRET, not in the organisations directory, a person's
    # name) and an association with a valid SIRET (name of a thing): one hidden, one named
    trader, club = (grant(900, nomBeneficiaire="Jean-Marc DUPUIS", idBeneficiaire=siret(900),
                          objet="Projet de Jean-Marc DUPUIS à Dakar"),
                    grant(901, nomBeneficiaire="ETOILE DE MER", idBeneficiaire=siret(901)))
    (raw / "grants" / "sole_trader.csv").write_bytes(delimited([SCDL_HEADER, trader, club]))
    original = sorted((raw / "grants").glob("subventions_2025.csv"))[0]
    shutil.copy2(original, raw / "grants" / "subventions_2025_copie.csv")  # a file dropped twice

    outcome = materialize_all(raw, tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb")
    assert outcome.success, outcome.report_lines()

    conn = duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True)
    try:
        def rows(sql: str, params: dict | None = None) -> list[tuple]:
            return conn.execute(sql, params or {}).fetchall()

        # good rows of the two hostile grants files: grants 0 and 3, and 0, 1 and 4 (grant 0 twice)
        wanted = {grant(i)[3]: float(grant(i)[8].replace(",", ".")) for i in (0, 1, 3, 4)}
        got = rows("select reference_decision, amount_eur from grants_public where reference_decision in $refs",
                   {"refs": list(wanted)})
        assert sorted(got) == sorted(wanted.items())
        # the sole trader's money is there, their name, SIRET and purpose are not; the club is named
        hidden = rows("select beneficiary_name, beneficiary_siret, purpose, beneficiary_type, amount_eur "
                      "from grants_public where grant_key like 'sole_trader.csv:%' order by grant_key")
        assert [h[3:] for h in hidden] == [("personne_physique", float(trader[8].replace(",", "."))),
                                           ("non_renseigne", float(club[8].replace(",", ".")))]
        assert "DUPUIS" not in str(rows("select * from grants_public")) and hidden[1][0] == "ETOILE DE MER"
        # the copy of a whole file adds no grant
        assert rows("select count(*) from grants_public where grant_key like 'subventions_2025_copie.csv:%'") == [(0,)]

        def rejected(file: str) -> set[tuple[str, str, str]]:
            return set(rows("select source_row, field, severity from rejected_rows where source_file like $f",
                            {"f": f"%{file}"}))

        assert {("3", "montant", "error"), ("4", "montant", "error")} <= rejected("hostile_absurd.csv")
        assert {("5", "montant", "error"), ("4", "_encoding", "warning")} <= rejected("hostile_mixed.csv")
        assert {("3", "siret", "error")} <= rejected("orgs_bad.csv")
        assert {("24", "UID", "error")} <= rejected("agenda_bad.ics")
        for file, word in (("empty.csv", "empty"), ("xxe.xml", "DOCTYPE")):
            reasons = rows("select reason from rejected_rows where source_file like $f", {"f": f"%{file}"})
            assert len(reasons) == 1 and word in reasons[0][0], reasons
            refused = rows("select error from manifest where source_file like $f", {"f": f"%{file}"})
            assert len(refused) == 1 and word in refused[0][0]
        # nothing lost: accepted + rejected = read for every file the manifest lists
        assert rows("select count(*) from manifest where rows_read <> rows_accepted + rows_rejected") == [(0,)]
        assert "root:x:0:0" not in str(rows("select * from rejected_rows"))
    finally:
        conn.close()
