"""Small deterministic PNG "screenshots" for the computer-use agent, made with zlib and struct (no Pillow).

A screenshot is a mock desktop: a noisy wallpaper (so it weighs tens of kilobytes, like a real
screenshot, instead of compressing to nothing), a title bar, a window with text lines and a cursor
that moves with the step, so consecutive screenshots differ while the same step always gives the same
bytes. Frames are cached: the agents send many, and the CPU budget of the demo is small.
"""

from __future__ import annotations

import base64
import functools
import random
import struct
import zlib

WIDTH = 320
HEIGHT = 200
FRAMES = 16  # distinct screenshots; step n shows frame n % FRAMES

_TITLE_BAR = bytes((40, 40, 48))
_WINDOW = bytes((236, 236, 240))
_TEXT_LINE = bytes((150, 150, 160))
_CURSOR = bytes((230, 60, 60))
_WINDOW_BOX = (30, 30, WIDTH - 30, HEIGHT - 20)  # left, top, right, bottom
# Wallpaper: a blue with a little noise in every channel (random bytes mapped into narrow ranges).
_NOISE = bytes.maketrans(
    bytes(range(256)), bytes((24 + (b % 3) * 20 + (b >> 4) % 12) & 0xFF for b in range(256))
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


@functools.lru_cache(maxsize=1)
def _base_rows() -> tuple[bytes, ...]:
    """The frame without the cursor: one RGB row per line (no PNG filter byte)."""
    noise = random.Random(20240607).randbytes(WIDTH * HEIGHT * 3).translate(_NOISE)
    left, top, right, bottom = _WINDOW_BOX
    rows = []
    for y in range(HEIGHT):
        row = bytearray(noise[y * WIDTH * 3 : (y + 1) * WIDTH * 3])
        if y < 14:
            row[:] = _TITLE_BAR * WIDTH
        elif top <= y < bottom:
            row[left * 3 : right * 3] = _WINDOW * (right - left)
            if y >= 40 and (y - 40) % 14 < 4:
                length = 40 + (y * 37) % (right - left - 60)
                row[(left + 10) * 3 : (left + 10 + length) * 3] = _TEXT_LINE * length
        rows.append(bytes(row))
    return tuple(rows)


@functools.lru_cache(maxsize=FRAMES)
def _frame(frame: int) -> bytes:
    rows = [bytearray(row) for row in _base_rows()]
    cursor_x = 40 + (frame * 37) % (WIDTH - 80)
    cursor_y = 50 + (frame * 23) % (HEIGHT - 90)
    for y in range(cursor_y, cursor_y + 10):
        rows[y][cursor_x * 3 : (cursor_x + 10) * 3] = _CURSOR * 10
    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type "None" on every scanline
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 6))
        + _chunk(b"IEND", b"")
    )


def screenshot_png(step: int) -> bytes:
    """The PNG for ``step`` (deterministic: the same step always gives the same bytes)."""
    return _frame(step % FRAMES)


def screenshot_base64(step: int) -> str:
    """``screenshot_png(step)`` as base64, for an image block's ``source.data``."""
    return _frame_base64(step % FRAMES)


@functools.lru_cache(maxsize=FRAMES)
def _frame_base64(frame: int) -> str:
    return base64.b64encode(_frame(frame)).decode("ascii")
