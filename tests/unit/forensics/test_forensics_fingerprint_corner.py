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
