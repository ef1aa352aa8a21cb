"""A fake rear camera for Chromium: QR symbols of the 車検証 as the card prints them, written
into a Y4M video that ``--use-file-for-fake-video-capture`` plays in a loop.

The ``qrcode`` library lays out the matrix (Reed-Solomon blocks, masks, format information)
but has no structured append, no ECI and no kanji mode: ``qr_symbol`` writes the data bits
itself (ISO/IEC 18004 §7.4: structured-append header, ECI designator, kanji and byte
segments) and hands the code words to ``qrcode`` as its ``data_cache``. All text is Shift_JIS.
"""
from PIL import Image
from qrcode import QRCode, base, util
from qrcode.constants import ERROR_CORRECT_M

MODE_STRUCTURED_APPEND = 0b0011
MODE_ECI = 0b0111
ECI_SHIFT_JIS = 20
PAD_BYTES = (0xEC, 0x11)


def sjis(text):
    return text.encode("shift_jis")


def parity(message):
    """The structured-append parity: XOR of every byte of the whole message (all symbols)."""
    value = 0
    for byte in message:
        value ^= byte
    return value


def _kanji_value(pair):
    code = (pair[0] << 8) | pair[1]
    code -= 0x8140 if code <= 0x9FFC else 0xC140
    return (code >> 8) * 0xC0 + (code & 0xFF)


def _is_kanji_pair(pair):
    if len(pair) != 2:
        return False
    code = (pair[0] << 8) | pair[1]
    return 0x8140 <= code <= 0x9FFC or 0xE040 <= code <= 0xEBBF


def _characters(data):
    """Shift_JIS bytes cut into characters (one or two bytes each)."""
    i = 0
    while i < len(data):
        width = 2 if (0x81 <= data[i] <= 0x9F or 0xE0 <= data[i] <= 0xFC) and i + 1 < len(data) else 1
        yield data[i:i + width]
        i += width


def segments(data, kanji=True):
    """Byte-mode and kanji-mode segments of Shift_JIS bytes: with ``kanji``, every run of
    double-byte characters goes in kanji mode (as a certificate printer would put the plate);
    without it, everything is byte mode (a chunk cut inside a character must be)."""
    result = []
    for character in _characters(data):
        mode = "kanji" if kanji and _is_kanji_pair(character) else "byte"
        if result and result[-1][0] == mode:
            result[-1] = (mode, result[-1][1] + character)
        else:
            result.append((mode, character))
    return result


def _bits(version, chunk, sequence, eci, kanji):
    buffer = util.BitBuffer()
    if sequence is not None:
        index, total, group_parity = sequence
        buffer.put(MODE_STRUCTURED_APPEND, 4)
        buffer.put(index, 4)
        buffer.put(total - 1, 4)
        buffer.put(group_parity, 8)
    if eci:
        buffer.put(MODE_ECI, 4)
        buffer.put(ECI_SHIFT_JIS, 8)
    for mode, data in segments(chunk, kanji):
        if mode == "kanji":
            buffer.put(util.MODE_KANJI, 4)
            buffer.put(len(data) // 2, util.length_in_bits(util.MODE_KANJI, version))
            for i in range(0, len(data), 2):
                buffer.put(_kanji_value(data[i:i + 2]), 13)
        else:
            buffer.put(util.MODE_8BIT_BYTE, 4)
            buffer.put(len(data), util.length_in_bits(util.MODE_8BIT_BYTE, version))
            for byte in data:
                buffer.put(byte, 8)
    return buffer


def _codewords(buffer, rs_blocks):
    """Terminator, byte alignment and pad code words (§7.4.9-10), then qrcode's Reed-Solomon."""
    limit = sum(block.data_count * 8 for block in rs_blocks)
    for _ in range(min(limit - len(buffer), 4)):
        buffer.put_bit(False)
    while len(buffer) % 8:
        buffer.put_bit(False)
    for i in range((limit - len(buffer)) // 8):
        buffer.put(PAD_BYTES[i % 2], 8)
    return util.create_bytes(buffer, rs_blocks)


def qr_symbol(chunk, sequence=None, eci=False, kanji=True, box_size=6):
    """One QR symbol (a PIL image) holding the Shift_JIS bytes ``chunk``; ``sequence`` is
    (index, total, parity) for a structured-append symbol, ``eci`` adds ECI 20 (Shift_JIS)."""
    for version in range(1, 41):
        rs_blocks = base.rs_blocks(version, ERROR_CORRECT_M)
        buffer = _bits(version, chunk, sequence, eci, kanji)
        if len(buffer) <= sum(block.data_count * 8 for block in rs_blocks):
            break
    qr = QRCode(version=version, error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.data_cache = _codewords(buffer, rs_blocks)
    qr.makeImpl(False, qr.best_mask_pattern())
    return qr.make_image().get_image().convert("L")


def structured_append(message, split_at, **options):
    """The symbols of one structured-append group: ``message`` (Shift_JIS bytes) cut at the
    byte offsets ``split_at``; every symbol carries the whole message's parity."""
    cuts = [0, *split_at, len(message)]
    total = len(cuts) - 1
    group_parity = parity(message)
    return [qr_symbol(message[cuts[i]:cuts[i + 1]], (i, total, group_parity), **options)
            for i in range(total)]


def group_of_scans(scans, **options):
    """A structured-append group split where a per-symbol vector's scans split it."""
    pieces = [sjis(scan) for scan in scans]
    offsets, at = [], 0
    for piece in pieces[:-1]:
        at += len(piece)
        offsets.append(at)
    return structured_append(b"".join(pieces), offsets, **options)


def frame(symbol, width=640, height=480):
    """A grey camera frame with the symbol in the middle."""
    picture = Image.new("L", (width, height), 200)
    picture.paste(symbol, ((width - symbol.width) // 2, (height - symbol.height) // 2))
    return picture


def write_y4m(path, symbols, frames_per_symbol=3, fps=10, width=640, height=480):
    """A Y4M (4:2:0) video showing each symbol for a few frames; Chromium loops it."""
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        chroma = bytes([128]) * ((width // 2) * (height // 2) * 2)
        for symbol in symbols:
            # Full-range grey to video range (16–235), as a camera delivers it.
            luma = frame(symbol, width, height).point(lambda v: 16 + v * 219 // 255).tobytes()
            for _ in range(frames_per_symbol):
                out.write(b"FRAME\n" + luma + chroma)
    return path
