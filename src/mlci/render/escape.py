"""Make text from user files safe to show, in a GitHub comment or on a terminal.

Everything a renderer shows that came from the user's files (metric names,
string values, paths, param keys and values, problem messages, the project and
revision names) goes through :func:`md_escape` or :func:`term_clean`.

GitHub links ``@user`` and ``#123`` after rendering the markdown, on the
decoded text: neither a backslash nor an entity alone stops it (see
github/markup#1168), so a zero-width space follows the ``@`` or ``#``. Bare
URLs and ``www.`` names are GFM autolinks (cmark-gfm's autolink extension wants
``scheme://`` or ``www.`` unbroken), so a zero-width space goes into ``://`` and
after ``www``: GitHub links nothing the user did not write as a link.

A block of user text shown as written (the policy diff, in a code fence or on a
terminal) keeps its lines, but every control character other than tab, every
bidi override or isolate and every other invisible format character is shown
as its escape (``\\x1b``, ``\\u202e``) by :func:`show_controls`: a reviewer sees
what the file holds.
"""

from __future__ import annotations

import re

MAX_CHARS = 200
ELLIPSIS = "…"
ZWSP = "&#8203;"

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), other two-byte escapes, C1 CSI.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[@-Z\\-_]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Anything that ends a line, for str.splitlines or a markdown table.
_BREAKS = re.compile("\r\n|[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]")
# Other controls, bidi overrides and isolates (they reorder what is shown), BOM,
# and lone surrogates (they cannot be encoded).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")

_MD_SPECIAL = re.compile(r"[&<>|\\`*_\[\]~!$#@]")
_MD_TABLE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "&#124;", "#": "&#35;", "@": "&#64;"}
    | {char: "\\" + char for char in "\\`*_[]~!$"}
)
# After translation: an escaped "_" between two alphanumerics (never emphasis in
# GFM, and snake_case stays readable), and an "@" or "#" that could start a link.
# (Literal first, lookbehind last: the regex engine then skips ahead quickly.)
_INTRAWORD_UNDERSCORE = re.compile(r"\\_(?=[^\W_])(?<=[^\W_]\\_)")
_LINK_START = re.compile(r"&#(?:64|35);(?=[^\W_]|\\_)")
_SAFE_CODE = re.compile(r"[A-Za-z0-9 ._/:=+,-]+")
# What GitHub would autolink: any ``scheme://`` (cmark-gfm links http, https and ftp; any
# scheme is broken alike) and ``www.`` in any case.
_AUTOLINK = re.compile(r"://|(?i:www)\.")
# Shown as escapes in a block: C0 controls but tab and newline, DEL, C1, the Arabic letter
# mark, zero-width and direction marks, line and paragraph separators, bidi embeddings,
# overrides and isolates, word joiners and invisible operators, the BOM, lone surrogates.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                     "\u2060-\u2069\ufeff\ud800-\udfff]")


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """One line of printable text: escapes and controls removed, capped at ``limit`` chars."""
    if not text.isascii() or not text.isprintable():
        text = _ANSI.sub("", text)
        text = _BREAKS.sub(" ", text)
        text = _INVISIBLE.sub("", text)
    text = text.strip()
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + ELLIPSIS
    return text


def term_clean(text: str, limit: int = MAX_CHARS) -> str:
    """User text for a terminal: no escape sequences, no control characters, one line."""
    return clean(str(text), limit)


def md_escape(text: str, limit: int = MAX_CHARS) -> str:
    """User text for GitHub markdown: inert in a table cell, a list item or a heading.

    The result has no raw ``|``, ``<``, ``>``, ``@`` or line break; markdown
    punctuation is backslash-escaped; ``@name`` and ``#123`` do not link.
    """
    text = clean(str(text), limit)
    if _MD_SPECIAL.search(text) is None:
        return _no_autolink(text)
    text = _no_autolink(text.translate(_MD_TABLE))
    if "\\_" in text:
        text = _INTRAWORD_UNDERSCORE.sub("_", text)
    if "&#64;" in text or "&#35;" in text:
        text = _LINK_START.sub(_add_zwsp, text)
    return text


def md_code(text: str, limit: int = MAX_CHARS) -> str:
    """User text shown as code: a backtick span when plainly safe, else ``<code>``."""
    text = clean(str(text), limit)
    if _SAFE_CODE.fullmatch(text):
        return f"`{text}`"
    return f"<code>{md_escape(text, limit)}</code>"


def show_controls(text: str) -> str:
    """Lines of user text as written, with hidden characters shown as their escapes.

    Only ``\\n`` ends a line and tab stays; anything else that could end a line, move the
    cursor, colour a terminal, hide text or reorder it (CR, ESC, NUL, U+2028, U+202E, ...)
    becomes the visible ``\\r``, ``\\x1b``, ``\\x00``, ``\\u2028``, ``\\u202e``."""
    if text.isascii() and text.isprintable():
        return text
    return _HIDDEN.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0D:
        return "\\r"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _no_autolink(text: str) -> str:
    if _AUTOLINK.search(text) is None:
        return text
    return _AUTOLINK.sub(_break_link, text)


def _break_link(match: re.Match[str]) -> str:
    found = match.group()
    return f":{ZWSP}//" if found == "://" else f"{found[:3]}{ZWSP}."


def _add_zwsp(match: re.Match[str]) -> str:
    return match.group() + ZWSP
