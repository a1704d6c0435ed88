"""A source too long for its column keeps what identifies it: the grade, the form and the
accession's year and sequence, never a cut accession number."""

from __future__ import annotations

from gpurisk.text.format import short_source


def test_a_filing_that_fits_is_shown_whole() -> None:
    assert short_source("CoreWeave 8-K 0001769628-25-000059 (Q3 results)", 30) == "8-K 0001769628-25-000059"


def test_a_narrow_column_keeps_the_accession_tail_not_a_cut_number() -> None:
    assert short_source("CoreWeave 8-K 0001769628-25-000059 (Q3 results)", 22) == "8-K …25-000059"
    assert short_source("10-Q 0001769628-25-000014 [S]", 22) == "[S] 10-Q …25-000014"
    assert short_source("0001769628-25-000014", 12) == "…25-000014"


def test_other_sources_keep_their_last_part() -> None:
    assert short_source("https://example.com/data/prices.csv", 20) == "prices.csv"
    assert short_source("sample_data/financials.csv", 20) == "financials.csv"
