import pytest

from uefi_accept.units import GiB, MiB, TiB, below_minimum, format_size, parse_size


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


@pytest.mark.parametrize(
    "text",
    [
        "", "abc", "64X", "-1G", "0", "0G", "1.5", "G", "99999999P", "64G\n", "\n64G", "6\n4G",
        "64G\r", "²", "٤G", "1.1T", "0.1K", "1" * 5000, "8P", "15E", True, 1.5, None,
    ],
)  # fmt: skip
def test_parse_size_rejects_nonsense(text: object) -> None:
    with pytest.raises(ValueError) as exc:
        parse_size(text)  # type: ignore[arg-type]
    assert "\n" not in str(exc.value) and len(str(exc.value)) < 120


def test_sizes_stop_at_the_52_bit_physical_address_limit() -> None:
    assert parse_size("4P") == parse_size(1 << 52) == 1 << 52
    with pytest.raises(ValueError, match="52-bit physical address limit"):
        parse_size((1 << 52) + 1)
    assert parse_size("2E", maximum=1 << 62) == 1 << 61


def test_fractions_are_exact() -> None:
    assert parse_size("0.5K") == 512
    assert parse_size("1.25G") == 5 * GiB // 4
    assert parse_size("0.25P") == 1 << 48
    with pytest.raises(ValueError, match="whole number"):
        parse_size("0.000001E")  # 2**60 / 10**6 is not a whole number of bytes


@pytest.mark.parametrize(
    ("text", "value", "problem"),
    [
        ("4096", 4096, "4096 is 4096 bytes, below the 128 MiB minimum; a bare number is bytes "
         "(QEMU's -m and Kata read MiB): did you mean 4096M?"),
        (" 256 ", 256, "did you mean 256M?"),
        ("64M", 64 * MiB, "64 MiB is below the 128 MiB minimum"),
        ("128M", 128 * MiB, None),
        ("134217728", 128 * MiB, None),
    ],
)  # fmt: skip
def test_below_minimum_explains_bare_numbers(text: str, value: int, problem: str | None) -> None:
    got = below_minimum(text, value, 128 * MiB)
    assert (got is None) if problem is None else (got is not None and problem in got)


def test_format_size() -> None:
    assert format_size(64 * GiB) == "64 GiB"
    assert format_size(1.5 * GiB) == "1.5 GiB"
    assert format_size(256 * MiB) == "256 MiB"
    assert format_size(0) == "0 B"
