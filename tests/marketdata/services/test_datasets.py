"""The table of data sets: each fetch writes its companions; every entry without a fetch is one."""

from __future__ import annotations

import pytest

from marketdata import cache
from marketdata.datasets import BY_NAME, DATASETS, REFRESHED, DataSet
from marketdata.services import REFRESH_CHOICES

WITH_COMPANIONS = [dataset for dataset in DATASETS if dataset.fetch is not None and dataset.companions]


@pytest.mark.django_db  # stock data and bars are computed from stored history
@pytest.mark.parametrize("dataset", WITH_COMPANIONS, ids=lambda dataset: dataset.name)
def test_a_fetch_writes_each_of_its_companions(dataset: DataSet[str], sandbox) -> None:
    fetched = dataset.get("AAPL")
    assert fetched.cached is False
    for name in dataset.companions:
        companion = cache.read(BY_NAME[name].key("AAPL"))
        assert companion is not None
        assert companion.fetched_at >= fetched.as_of.timestamp() - 1


def test_every_data_set_without_a_fetch_is_written_as_a_companion() -> None:
    for dataset in DATASETS:
        if dataset.fetch is None:
            assert any(dataset.name in other.companions for other in DATASETS if other.fetch), dataset.name


def test_data_set_names_are_distinct_and_the_refresh_choices_come_from_the_table() -> None:
    assert len(BY_NAME) == len(DATASETS)
    assert REFRESH_CHOICES == ("stock", "options", "earnings", "option_price")
    assert all(dataset.fetch is not None for dataset in REFRESHED)


def test_a_data_set_without_a_fetch_cannot_be_read_through() -> None:
    summary = next(dataset for dataset in DATASETS if dataset.fetch is None)
    with pytest.raises(TypeError, match="written with"):
        summary.get("AAPL")
