import pytest

from uefi_accept.units import GiB, MiB, TiB, format_size, parse_size


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("512M", 512 * MiB),
        ("64G", 64 * GiB),
        ("2T", 2 * TiB),
        ("64GiB", 64 * GiB),
        ("64gib", 64 * GiB),
        ("1.5G", 3 * GiB // 2),
        ("4096", 4096),
        (" 8 G ", 8 * GiB),
        (123, 123),
    ],
)
def test_parse_size_accepts_documented_forms(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "64X", "-1G", "0", "0G", "1.5", "G", "99999999P"])
def test_parse_size_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_format_size() -> None:
    assert format_size(64 * GiB) == "64 GiB"
    assert format_size(1.5 * GiB) == "1.5 GiB"
    assert format_size(256 * MiB) == "256 MiB"
    assert format_size(0) == "0 B"
