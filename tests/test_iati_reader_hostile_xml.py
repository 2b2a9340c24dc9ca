"""IATI activity reader on generated hostile and broken XML: external entities, entity expansion,
hidden DOCTYPEs, truncated files and non-XML are refused, each read in a child with a timeout."""

from __future__ import annotations

import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.iati import read_activities
from iati_files import _read_in_subprocess, activities_file, activity, tx, write


def test_xxe_is_refused_and_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    path = write(tmp_path, "xxe.xml", f"""
        <?xml version="1.0"?>
        <!DOCTYPE iati-activities [<!ENTITY x SYSTEM "file://{secret}">]>
        <iati-activities version="2.03"><iati-activity><iati-identifier>&x;</iati-identifier>
        </iati-activity></iati-activities>""")
    out = _read_in_subprocess(path)
    assert out["where"] == "line 2" and "DOCTYPE" in out["reason"]
    assert "TOP-SECRET-42" not in out["error"] and "xxe.xml" in out["error"]


def test_billion_laughs_is_refused(tmp_path):
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    path = write(tmp_path, "lol.xml",
                 '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' + "\n".join(ents) + "\n]>\n"
                 '<iati-activities version="2.03"><iati-activity><iati-identifier>&lol9;'
                 "</iati-identifier></iati-activity></iati-activities>\n")
    out = _read_in_subprocess(path)
    assert out["where"] == "line 2" and "DOCTYPE" in out["reason"]


def test_doctype_hidden_after_a_long_comment_is_still_refused(tmp_path):
    # Past the bounded head scan: the parser's own doctype info catches it.
    path = write(tmp_path, "late.xml",
                 "<!--" + "x" * 100_000 + "-->\n<!DOCTYPE iati-activities>\n"
                 + '<iati-activities version="2.03">' + activity("A-1") + "</iati-activities>\n")
    with pytest.raises(SourceError, match="DOCTYPE"):
        read_activities(path)


def test_plain_doctype_is_refused(tmp_path):
    path = write(tmp_path, "dt.xml", '<?xml version="1.0"?>\n<!DOCTYPE iati-activities SYSTEM "x.dtd">\n'
                 '<iati-activities version="2.03">' + activity("A-1") + "</iati-activities>\n")
    with pytest.raises(SourceError, match="DOCTYPE") as err:
        read_activities(path)
    assert err.value.where == "line 2"


def test_truncated_file_is_refused_with_its_line(tmp_path):
    full = activities_file(tmp_path, activity("A-1", tx("2", "1")), activity("A-2", tx("2", "1")))
    text = full.read_text()
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.rindex("<transaction>")])  # cut inside the 2nd activity
    with pytest.raises(SourceError, match="malformed XML") as err:
        read_activities(cut)
    assert err.value.where == f"line {text[: text.rindex('<transaction>')].count(chr(10)) + 1}"


def test_not_xml_at_all_is_refused(tmp_path):
    path = write(tmp_path, "junk.xml", "iati-identifier;value\nA;1\n")
    with pytest.raises(SourceError, match="malformed XML"):
        read_activities(path)
