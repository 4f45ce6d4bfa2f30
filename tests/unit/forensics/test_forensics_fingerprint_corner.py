"""The fingerprint's far-corner sentence says which way the observed share lies from the clean
model's (review11 #6: 0.009 % against the model's 0.022 % read "0.00 points more")."""

from __future__ import annotations

from escrutinio.forensics.fingerprint import _against_clean


def test_a_corner_below_the_clean_model_is_fewer_at_a_precision_that_shows_it():
    assert _against_clean(9.28e-05, 2.20e-04) == "0.013 points fewer than the clean model gives (0.022 %)"


def test_a_corner_above_the_clean_model_is_more():
    assert _against_clean(0.0123, 0.0023) == "1.00 points more than the clean model gives (0.230 %)"


def test_a_corner_at_the_clean_model_is_as_many():
    assert _against_clean(0.0023, 0.0023) == "as many as the clean model gives (0.230 %)"


def test_a_flagged_tilt_is_worded_as_what_the_model_would_need_not_as_fraud_found():
    """Bolivia by municipality: flagged, f_i 0.52. The reading names the gradient inside each area
    that gives the same tilt, and reads f_i as if all of the tilt were fraud (it read "the tilt
    corresponds to incremental fraud in f_i = 0.52 of the tables"; review11 #18)."""
    from dataclasses import replace

    from tests.unit.forensics.test_forensics_fingerprint_words import RUSSIA_2012

    from escrutinio.forensics.fingerprint import _reading

    bolivia = replace(RUSSIA_2012, where="municipality", who="Evo Morales", f_i=0.52, f_i_interval=(0.28, 0.85))
    text = _reading(bolivia)
    assert "a gradient inside each municipality (tables that turn out more also leaning more to one side" in text
    assert "as if all of the tilt were fraud, the incremental fraud fraction (f_i) is estimated at 0.52" in text
    assert "corresponds to" not in text
