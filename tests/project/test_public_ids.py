import pytest

from lib.api.ids import AGG_SNAPSHOT_ID, COUNT_SNAPSHOT_ID


@pytest.mark.parametrize(("pk", "text"), [(1, "agg-snap-001"), (42, "agg-snap-042"), (1234, "agg-snap-1234")])
def test_ids_are_zero_padded_to_three_digits(pk, text):
    assert AGG_SNAPSHOT_ID.format(pk) == text
    assert AGG_SNAPSHOT_ID.parse(text) == pk


@pytest.mark.parametrize(
    "text",
    [
        "agg-snap-xyz",
        "agg-snap-1",
        "agg-snap-0001",
        "agg-snap-000",
        "agg-snap-" + "9" * 40,
        "agg-snap-9223372036854775808",  # one past the largest bigint
        "count-snapshot-001",
        "AGG-SNAP-001",
        "agg-snap-001 ",
        "agg-snap-١٢٣",  # non-ASCII digits
        "",
    ],
)
def test_anything_but_a_canonical_id_of_our_kind_is_not_ours(text):
    assert AGG_SNAPSHOT_ID.parse(text) is None


def test_prefixes_do_not_cross():
    assert COUNT_SNAPSHOT_ID.parse("count-snapshot-001") == 1
    assert COUNT_SNAPSHOT_ID.parse("agg-snap-001") is None
