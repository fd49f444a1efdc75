"""An .xls's container, a compound file (OLE2), read as python-calamine's ``cfb`` module reads
it: its sectors, its tables of sector chains (the DIFAT, the FAT, the mini FAT), its directory,
and the Workbook stream that holds the sheets' records. calamine follows sector chains without
looking for loops, so a chain that loops or points outside the file is refused here (``Broken``)
before calamine is given the file."""

from __future__ import annotations

from collections.abc import Callable

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_ENDOFCHAIN = 0xFFFF_FFFE
_DIFSECT = 0xFFFF_FFFC
_RESERVED = 0xFFFF_FFFA
#: Names a workbook's stream goes by, in the order calamine looks for them.
_WORKBOOK_NAMES = ("Workbook", "Book", "WORKBOOK", "BOOK")


class Broken(Exception):
    """The container or its records are not as a real .xls has them."""


def u16(data: bytes, at: int) -> int:
    if at + 2 > len(data):
        raise Broken
    return int.from_bytes(data[at : at + 2], "little")


def u32(data: bytes, at: int) -> int:
    if at + 4 > len(data):
        raise Broken
    return int.from_bytes(data[at : at + 4], "little")


def _numbers(block: bytes) -> list[int]:
    """A sector read as a table of 32-bit numbers."""
    return [u32(block, at) for at in range(0, len(block) - 3, 4)]


def _chain(start: int, table: list[int], length: int, read: Callable[[int], bytes]) -> bytes:
    """A stream's sectors in order, up to ``length`` bytes: calamine follows a chain until its
    end or its length, so a chain that loops is refused (it never ends)."""
    out, seen, number = bytearray(), set(), start
    while number != _ENDOFCHAIN:
        if number in seen:
            raise Broken
        seen.add(number)
        out += read(number)[: length - len(out)]
        if len(out) >= length:
            break
        if number >= len(table):
            raise Broken  # calamine would look it up outside its table and panic
        number = table[number]
    return bytes(out)


class _Container:
    """The header of a compound file and its sectors (the header fills the first one)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(OLE2):
            raise Broken
        self.version = u16(data, 26)
        shift = u16(data, 30)
        if shift not in (9, 12) or u16(data, 32) != 6:
            raise Broken
        self.size = 1 << shift
        self.header = data[:512]
        self.body = memoryview(data)[self.size :]
        self.maxid = len(data) // self.size

    def sector(self, number: int) -> bytes:
        if number > self.maxid or number * self.size >= len(self.body):
            raise Broken
        return bytes(self.body[number * self.size : (number + 1) * self.size])

    def fat(self) -> list[int]:
        """The FAT, from the sectors the DIFAT lists (its first 109 in the header, the rest in
        a chain of DIFAT sectors, each ending with the next one's number)."""
        difat = [u32(self.header, at) for at in range(76, 512, 4)]
        number, seen = u32(self.header, 68), set()
        while number < _RESERVED:
            if number in seen:
                raise Broken
            seen.add(number)
            difat += _numbers(self.sector(number))
            number = difat.pop()
        fats = []
        for number in difat:
            if number < _DIFSECT:
                fats += _numbers(self.sector(number))
        return fats

    def directory(self, fats: list[int]) -> list[tuple[str, int, int]]:
        """Each directory entry's (name, first sector, length)."""
        directory = _chain(u32(self.header, 48), fats, 1 << 62, self.sector)
        if not directory or len(directory) % 128:
            raise Broken
        entries = []
        for at in range(0, len(directory), 128):
            entry = directory[at : at + 128]
            name = entry[:64].decode("utf-16-le", errors="replace").split("\x00", 1)[0]
            if self.size == 512:
                length = u32(entry, 120)
            else:
                length = int.from_bytes(entry[120:128], "little")
            entries.append((name, u32(entry, 116), length))
        if self.version != 3 and entries[0][1] == _ENDOFCHAIN:
            raise Broken
        return entries

    def mini(self, root: tuple[str, int, int], fats: list[int]) -> tuple[bytes, list[int]]:
        """The mini stream (the root entry's) and the mini FAT: calamine reads them whenever
        there is a mini FAT, whatever it then reads."""
        if not u32(self.header, 64):
            return b"", []
        stream = _chain(root[1], fats, root[2], self.sector)
        table = _chain(u32(self.header, 60), fats, u32(self.header, 64) * self.size, self.sector)
        return stream, _numbers(table)


def workbook_stream(data: bytes) -> bytes:
    """The Workbook stream of a compound file, read as calamine's ``cfb`` module reads it."""
    container = _Container(data)
    fats = container.fat()
    entries = container.directory(fats)
    ministream, minifat = container.mini(entries[0], fats)
    for wanted in _WORKBOOK_NAMES:
        found = next((e for e in entries if e[0] == wanted), None)
        if found is not None:
            break
    else:
        raise Broken
    _name, start, length = found
    if length >= 4096:
        return _chain(start, fats, length, container.sector)

    def mini(number: int) -> bytes:
        if (number + 1) * 64 > len(ministream):
            raise Broken
        return ministream[number * 64 : (number + 1) * 64]

    return _chain(start, minifat, length, mini)
